"""CALDAV:calendar-data in REPORT requests (RFC 4791 §9.6): partial components, expand, limit-recurrence-set.

Without any of these the stored object is returned unchanged.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable

import icalendar
from lxml import etree

from scheduler import ical
from scheduler.selectors import CalendarObject

from .davxml import CALDAV, split
from .filters import parse_time_range

UTC = dt.timezone.utc
RECURRENCE_PROPS = ("RRULE", "RDATE", "EXDATE", "EXRULE")


def _select(comp: icalendar.cal.Component, spec: etree._Element) -> icalendar.cal.Component:
    """Copy ``comp`` keeping only the properties and subcomponents ``spec`` (a C:comp element) names."""
    out = type(comp)()
    children = list(spec)
    tags = [split(c.tag)[1] for c in children]
    keep_all_props = "allprop" in tags or not any(t == "prop" for t in tags)
    prop_names = {c.get("name", "").upper() for c in children if split(c.tag)[1] == "prop"}
    for key, value in comp.property_items(recursive=False, sorted=False)[1:-1]:
        if keep_all_props or key in prop_names:
            out.add(key, value, encode=False)
    comp_specs = {c.get("name", "").upper(): c for c in children if split(c.tag)[1] == "comp"}
    keep_all_comps = "allcomp" in tags or not comp_specs
    for child in comp.subcomponents:
        if keep_all_comps:
            out.add_component(child)
        elif child.name in comp_specs:
            out.add_component(_select(child, comp_specs[child.name]))
    return out


def _to_utc(value: dt.date) -> dt.date:
    return value.astimezone(UTC) if isinstance(value, dt.datetime) and value.tzinfo else value


def expand(cal: icalendar.Calendar, start: dt.datetime | None, end: dt.datetime | None,
           tz: dt.tzinfo) -> icalendar.Calendar:
    """§9.6.5: every instance in the range as its own VEVENT in UTC, with RECURRENCE-ID, no rules."""
    out = icalendar.Calendar()
    for key in ("VERSION", "PRODID"):
        if key in cal:
            out.add(key, cal[key], encode=False)
    recurring = any(p in ev for ev in ical.events(cal) for p in RECURRENCE_PROPS) or \
        any("RECURRENCE-ID" in ev for ev in ical.events(cal))
    for inst in ical.occurrences(cal, start, end, tz):
        for key in RECURRENCE_PROPS:
            inst.pop(key, None)
        for key in ("DTSTART", "DTEND", "RECURRENCE-ID"):
            if key in inst:
                value = inst.decoded(key)
                if isinstance(value, dt.datetime) and value.tzinfo is None:
                    value = value.replace(tzinfo=tz)
                inst.pop(key)
                inst.add(key, _to_utc(value))
        if not recurring:
            inst.pop("RECURRENCE-ID", None)
        out.add_component(inst)
    return out


def limit_recurrence_set(cal: icalendar.Calendar, start: dt.datetime | None, end: dt.datetime | None,
                         tz: dt.tzinfo) -> icalendar.Calendar:
    """§9.6.6: the master plus only the overridden instances that matter for the range."""
    out = icalendar.Calendar()
    for key, value in cal.property_items(recursive=False, sorted=False)[1:-1]:
        out.add(key, value, encode=False)
    for comp in cal.subcomponents:
        if comp.name == "VEVENT" and "RECURRENCE-ID" in comp:
            rid = ical.to_utc(comp.decoded("RECURRENCE-ID"), tz)
            s, e = ical.event_bounds(comp)
            s, e = ical.to_utc(s, tz), ical.to_utc(e, tz)
            in_range = (start is None or e > start or rid >= start) and (end is None or s < end or rid < end)
            if not in_range:
                continue
        out.add_component(comp)
    return out


def shaper(element: etree._Element | None, tzname: str) -> Callable[[CalendarObject], str] | None:
    """A function CalendarObject -> text for a C:calendar-data request element; None = stored object."""
    if element is None or len(element) == 0:
        return None
    tz = zoneinfo.ZoneInfo(tzname)
    expand_el = element.find(f"{{{CALDAV}}}expand")
    limit_el = element.find(f"{{{CALDAV}}}limit-recurrence-set")
    comp_el = element.find(f"{{{CALDAV}}}comp")

    def shape(obj: CalendarObject) -> str:
        cal = ical.parse(obj.ical)
        if expand_el is not None:
            cal = expand(cal, *parse_time_range(expand_el), tz)
        elif limit_el is not None:
            cal = limit_recurrence_set(cal, *parse_time_range(limit_el), tz)
        if comp_el is not None:
            cal = _select(cal, comp_el)
        return ical.serialize(cal)

    return shape
