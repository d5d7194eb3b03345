"""CALDAV:filter (RFC 4791 §9.7) compiled to a predicate over a parsed iCalendar object.

Supported: comp-filter (VCALENDAR, VEVENT, VALARM), is-not-defined, time-range on
VEVENT with recurrence and on VALARM (the trigger times of each instance, §9.9),
prop-filter with text-match and is-not-defined, param-filter. Anything else is refused with the RFC's
precondition (``supported-filter``/``supported-collation``), never ignored.
Floating and all-day values are evaluated in the calendar's time zone (§7.3).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass, field

import icalendar
from lxml import etree

from scheduler.ical import alarm_reach, alarm_times, iter_occurrences

from .davxml import CALDAV, split
from .errors import DavError

UTC = dt.timezone.utc
COLLATIONS = {"i;ascii-casemap", "i;octet", "i;unicode-casemap"}


def unsupported(message: str) -> DavError:
    return DavError(403, (CALDAV, "supported-filter"), message)


def invalid(message: str) -> DavError:
    return DavError(403, (CALDAV, "valid-filter"), message)


# Every time a query computes with lies in this window: a client may ask for the year 9999
# (or 0001), but a bound there overflows as soon as it is moved into a local zone or has an
# event's duration added. The recurrence expansion (scheduler.ical) walks the same window.
EARLIEST = dt.datetime(1900, 1, 1, tzinfo=UTC)
LATEST = dt.datetime(2200, 1, 1, tzinfo=UTC)
UTC_DATE_TIME = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})T([0-9]{2})([0-9]{2})([0-9]{2})Z")


def parse_utc(value: str | None) -> dt.datetime | None:
    """RFC 4791 §9.9: start/end are "date with UTC time" values, exactly YYYYMMDDTHHMMSSZ."""
    if value is None or value == "":
        return None
    m = UTC_DATE_TIME.fullmatch(value)
    try:
        if not m:
            raise ValueError
        return dt.datetime(*(int(part) for part in m.groups()), tzinfo=UTC)
    except ValueError:
        raise invalid(f"time-range values must be UTC date-times (YYYYMMDDTHHMMSSZ), got {value[:40]!r}") from None


def clamp(start: dt.datetime | None, end: dt.datetime | None) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The part of [start, end) inside [EARLIEST, LATEST]; a range wholly outside it becomes
    empty (start == end), since nothing is computed out there (CALDAV:max-date-time)."""
    if start is not None and start >= LATEST:
        return LATEST, LATEST
    if end is not None and end <= EARLIEST:
        return EARLIEST, EARLIEST
    return (None if start is None else max(start, EARLIEST)), (None if end is None else min(end, LATEST))


def is_empty(time_range: tuple[dt.datetime | None, dt.datetime | None]) -> bool:
    start, end = time_range
    return start is not None and start == end


def parse_time_range(el: etree._Element, *, clamped: bool = True) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The (start, end) of a CALDAV:time-range element; 403 valid-filter if it is not one.

    The values are clamped into [EARLIEST, LATEST] unless ``clamped=False`` (free-busy echoes
    the requested range). After clamping start may equal end: an empty range, nothing matches.
    """
    start, end = parse_utc(el.get("start")), parse_utc(el.get("end"))
    if start is None and end is None:
        raise invalid("time-range needs start or end")
    if start and end and end <= start:
        raise invalid("time-range end must be after start")
    return clamp(start, end) if clamped else (start, end)


@dataclass
class TextMatch:
    text: str
    collation: str
    negate: bool

    def matches(self, value: str) -> bool:
        if self.collation == "i;octet":
            hit = self.text in value
        else:
            hit = self.text.casefold() in value.casefold()
        return hit != self.negate


def parse_text_match(el: etree._Element) -> TextMatch:
    collation = el.get("collation", "i;ascii-casemap")
    if collation not in COLLATIONS:
        raise DavError(403, (CALDAV, "supported-collation"), f"collation {collation} is not supported")
    return TextMatch(el.text or "", collation, el.get("negate-condition", "no") == "yes")


@dataclass
class ParamFilter:
    name: str
    is_not_defined: bool = False
    text_match: TextMatch | None = None

    def matches(self, prop: object) -> bool:
        params = getattr(prop, "params", {})
        if self.is_not_defined:
            return self.name not in params
        if self.name not in params:
            return False
        return self.text_match is None or self.text_match.matches(str(params[self.name]))


@dataclass
class PropFilter:
    name: str
    is_not_defined: bool = False
    text_match: TextMatch | None = None
    param_filters: list[ParamFilter] = field(default_factory=list)

    def matches(self, comp: icalendar.cal.Component) -> bool:
        values = comp.get(self.name)
        values = [] if values is None else (values if isinstance(values, list) else [values])
        if self.is_not_defined:
            return not values
        for value in values:
            text = value.to_ical().decode() if hasattr(value, "to_ical") else str(value)
            if self.text_match and not self.text_match.matches(str(value) if isinstance(value, str) else text):
                continue
            if all(pf.matches(value) for pf in self.param_filters):
                return True
        return False


@dataclass
class CompFilter:
    name: str
    is_not_defined: bool = False
    time_range: tuple | None = None
    prop_filters: list[PropFilter] = field(default_factory=list)
    comp_filters: list[CompFilter] = field(default_factory=list)

    def own_conditions(self, comp: icalendar.cal.Component, tz: zoneinfo.ZoneInfo) -> bool:
        return (all(pf.matches(comp) for pf in self.prop_filters)
                and all(cf.matches_in(comp, tz) for cf in self.comp_filters))

    def matches_in(self, parent: icalendar.cal.Component, tz: zoneinfo.ZoneInfo) -> bool:
        """Does ``parent`` contain a component matching this filter?"""
        comps = [c for c in parent.subcomponents if c.name == self.name]
        if self.is_not_defined:
            return not comps
        if not comps:
            return False
        if self.time_range is not None and is_empty(self.time_range):
            return False
        if self.name == "VALARM" and self.time_range is not None:
            # ``parent`` is one instance of the event (see ``instances``): its own start and end
            return any(self.fires_in_range(c, parent, tz) and self.own_conditions(c, tz) for c in comps)
        if self.time_range is not None:
            # VEVENT (checked when parsing): recurrence-aware overlap, per instance
            start, end = self.time_range
            instances = iter_occurrences(parent, start, end, tz)  # lazy: stops at the first match
            return any(self.own_conditions(inst, tz) for inst in instances)
        if self.alarm_range() is not None:
            return any(self.own_conditions(inst, tz) for inst in self.alarm_instances(parent, tz))
        return any(self.own_conditions(c, tz) for c in comps)

    def fires_in_range(self, alarm: icalendar.cal.Component, instance: icalendar.cal.Component,
                       tz: zoneinfo.ZoneInfo) -> bool:
        """RFC 4791 §9.9: a VALARM overlaps when one of its trigger times lies in [start, end)."""
        start, end = self.time_range
        start, end = start or EARLIEST, end or LATEST
        return any(start <= t < end for t in alarm_times(alarm, instance, tz))

    def alarm_range(self) -> tuple[dt.datetime, dt.datetime] | None:
        """The union of the time-ranges of the VALARM filters inside this one, if any."""
        ranges = [cf.time_range for cf in self.comp_filters
                  if cf.name == "VALARM" and cf.time_range is not None and not cf.is_not_defined]
        if not ranges:
            return None
        return min(s or EARLIEST for s, _ in ranges), max(e or LATEST for _, e in ranges)

    def alarm_instances(self, cal: icalendar.cal.Component, tz: zoneinfo.ZoneInfo) -> Iterator[icalendar.Event]:
        """The instances whose alarms may fire in ``alarm_range()``, lazily (RFC 4791 §9.9: the
        trigger of a recurring event is evaluated per instance)."""
        reach = alarm_reach(cal, tz)
        if reach is None:
            return
        start, end = self.alarm_range()
        if start < end:
            yield from iter_occurrences(cal, start - reach.latest, end - reach.earliest, tz)
        if reach.absolute:  # a DATE-TIME trigger fires at the same time whichever instance carries it
            yield from itertools.islice(iter_occurrences(cal, None, None, tz), 1)


def parse_comp_filter(el: etree._Element, depth: int = 0) -> CompFilter:
    name = el.get("name", "").upper()
    if not name:
        raise invalid("comp-filter needs a name")
    cf = CompFilter(name)
    for child in el:
        ns, tag = split(child.tag)
        if ns != CALDAV:
            raise unsupported(f"unknown filter element {child.tag}")
        if tag == "is-not-defined":
            cf.is_not_defined = True
        elif tag == "time-range":
            if name not in ("VEVENT", "VALARM"):
                raise unsupported(f"time-range on {name} is not supported")
            cf.time_range = parse_time_range(child)
        elif tag == "prop-filter":
            cf.prop_filters.append(parse_prop_filter(child))
        elif tag == "comp-filter":
            cf.comp_filters.append(parse_comp_filter(child, depth + 1))
        else:
            raise unsupported(f"unsupported filter element {tag}")
    return cf


def parse_prop_filter(el: etree._Element) -> PropFilter:
    name = el.get("name", "").upper()
    if not name:
        raise invalid("prop-filter needs a name")
    pf = PropFilter(name)
    for child in el:
        ns, tag = split(child.tag)
        if tag == "is-not-defined":
            pf.is_not_defined = True
        elif tag == "text-match":
            pf.text_match = parse_text_match(child)
        elif tag == "param-filter":
            pname = child.get("name", "").upper()
            pfil = ParamFilter(pname)
            for sub in child:
                stag = split(sub.tag)[1]
                if stag == "is-not-defined":
                    pfil.is_not_defined = True
                elif stag == "text-match":
                    pfil.text_match = parse_text_match(sub)
                else:
                    raise unsupported(f"unsupported param-filter element {stag}")
            pf.param_filters.append(pfil)
        elif tag == "time-range":
            raise unsupported("time-range inside prop-filter is not supported")
        else:
            raise unsupported(f"unsupported prop-filter element {tag}")
    return pf


@dataclass
class Query:
    """A compiled filter: the index range to prefilter with, and the exact predicate."""

    root: CompFilter
    tz: zoneinfo.ZoneInfo

    @property
    def time_range(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        for cf in self.root.comp_filters:
            if cf.name == "VEVENT" and cf.time_range and not cf.is_not_defined:
                return cf.time_range
        return (None, None)

    @property
    def time_range_only(self) -> bool:
        """Only a VEVENT time-range (what iOS, DAVx5 and Thunderbird send): the index answers it."""
        if self.root.prop_filters or len(self.root.comp_filters) != 1:
            return False
        cf = self.root.comp_filters[0]
        return (cf.name == "VEVENT" and cf.time_range is not None and not cf.is_not_defined
                and not cf.prop_filters and not cf.comp_filters)

    @property
    def needs_alarm(self) -> bool:
        """Only objects with a VALARM can match: a VEVENT filter asks for one (RFC 4791 §9.7.1: every
        comp-filter must match). The index column ``has_alarm`` then narrows the candidates."""
        return any(cf.name == "VEVENT" and not cf.is_not_defined
                   and any(a.name == "VALARM" and not a.is_not_defined for a in cf.comp_filters)
                   for cf in self.root.comp_filters)

    @property
    def matches_nothing(self) -> bool:
        """A calendar of VEVENTs has no VTODO/VJOURNAL: such queries are empty, not unsupported;
        nor has it anything in a time-range wholly outside the computed window."""
        return any((cf.name not in ("VEVENT", "VTIMEZONE") or (cf.time_range and is_empty(cf.time_range)))
                   and not cf.is_not_defined for cf in self.root.comp_filters)

    def matches(self, cal: icalendar.Calendar) -> bool:
        holder = icalendar.Calendar()
        holder.subcomponents.append(cal)
        return self.root.matches_in(holder, self.tz)


def compile_filter(filter_el: etree._Element | None, tzname: str) -> Query:
    if filter_el is None:
        raise invalid("calendar-query needs a filter")
    comps = [c for c in filter_el if split(c.tag) == (CALDAV, "comp-filter")]
    if len(comps) != 1 or comps[0].get("name", "").upper() != "VCALENDAR":
        raise invalid("the filter must have exactly one comp-filter VCALENDAR")
    root = parse_comp_filter(comps[0])
    if root.time_range or root.is_not_defined:
        raise invalid("VCALENDAR takes no time-range or is-not-defined")
    return Query(root, zoneinfo.ZoneInfo(tzname))
