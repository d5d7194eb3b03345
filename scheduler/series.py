"""Editing a recurring appointment's stored iCalendar: move one instance, or shift the whole series.

Both return new iCalendar text for ``services.save_appointment(appt, ical_text=...)``, so the
writer's contract, If-Match and conflict checks judge the result like a phone's PUT.

- ``move_instance`` ("Nur dieser Termin"): an overridden instance, a VEVENT with
  ``RECURRENCE-ID`` = the instance's original start (RFC 5545 §3.8.4.4), is added or, when the
  instance is already overridden, changed;
- ``shift_series`` ("Ganze Serie"): the master's DTSTART/DTEND move by a wall-clock delta, and so
  do the values that name instances by their original start (EXDATE, RDATE, the overrides'
  RECURRENCE-ID); otherwise an excluded instance would come back and an override would become
  an extra appointment beside the instance it was meant to replace.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import icalendar

from . import ical

UTC = dt.timezone.utc
PROPERTIES_NOT_COPIED = {"RRULE", "RDATE", "EXDATE", "RECURRENCE-ID", "DTSTART", "DTEND", "DURATION", "SEQUENCE",
                         "LAST-MODIFIED", "DTSTAMP"}


class InstanceNotFound(ValueError):
    """No instance of the series starts at the given instant (the appointment changed meanwhile)."""


def _instance(cal: icalendar.Calendar, at: dt.datetime, tz: zoneinfo.ZoneInfo) -> icalendar.Event:
    """The expanded instance that currently starts at ``at`` (UTC)."""
    for occ in ical.occurrences(cal, at - dt.timedelta(days=1), at + dt.timedelta(days=1), tz):
        start, _end = ical.event_bounds(occ)
        if ical.to_utc(start, tz) == at:
            return occ
    raise InstanceNotFound(at.isoformat())


def _same_value(a: icalendar.prop.vDDDTypes | None, b: dt.date, tz: zoneinfo.ZoneInfo) -> bool:
    if a is None:
        return False
    value = a.dt
    if isinstance(value, dt.datetime) != isinstance(b, dt.datetime):
        return False
    return ical.to_utc(value, tz) == ical.to_utc(b, tz) if isinstance(b, dt.datetime) else value == b


def _stamp(ev: icalendar.Event, now: dt.datetime) -> None:
    seq = int(ev.get("SEQUENCE", 0))
    for prop in ("SEQUENCE", "LAST-MODIFIED"):
        ev.pop(prop, None)
    ev.add("SEQUENCE", seq + 1)
    ev.add("LAST-MODIFIED", now)
    if "DTSTAMP" not in ev:
        ev.add("DTSTAMP", now)


def _set_times(ev: icalendar.Event, start: dt.date, end: dt.date) -> None:
    for prop in ("DTSTART", "DTEND", "DURATION"):
        ev.pop(prop, None)
    ev.add("DTSTART", start)
    ev.add("DTEND", end)


def _local(value: dt.datetime, tz: zoneinfo.ZoneInfo, all_day: bool) -> dt.date:
    local = value.astimezone(tz)
    return local.date() if all_day else local


def move_instance(text: str, *, occurrence_start: dt.datetime, start: dt.datetime, end: dt.datetime,
                  tzname: str, all_day: bool = False, now: dt.datetime | None = None) -> str:
    """Move the instance now starting at ``occurrence_start`` to [start, end) (all aware datetimes)."""
    now = now or dt.datetime.now(UTC)
    tz = zoneinfo.ZoneInfo(tzname)
    cal = ical.parse(text)
    instance = _instance(cal, occurrence_start, tz)
    recurrence_id = instance["RECURRENCE-ID"].dt
    new_start, new_end = _local(start, tz, all_day), _local(end, tz, all_day)
    override = next((ev for ev in ical.events(cal)
                     if _same_value(ev.get("RECURRENCE-ID"), recurrence_id, tz)), None)
    if override is None:
        master = ical.master_event(cal)
        override = icalendar.Event.from_ical(master.to_ical())  # a copy: title, alarms, attendees, ...
        for prop in PROPERTIES_NOT_COPIED:
            override.pop(prop, None)
        override.add("RECURRENCE-ID", recurrence_id)
        override["SEQUENCE"] = master.get("SEQUENCE", 0)
        cal.add_component(override)
    _set_times(override, new_start, new_end)
    _stamp(override, now)
    ical.ensure_timezones(cal)
    return ical.serialize(cal)


def _shift(value: dt.date, delta: dt.timedelta, tz: zoneinfo.ZoneInfo) -> dt.date:
    """A wall-clock shift: 09:00 stays 09:00 across a DST change (same-zone arithmetic is wall time)."""
    if not isinstance(value, dt.datetime):
        return value + dt.timedelta(days=delta.days)
    zone = value.tzinfo
    if zone is None or (isinstance(zone, zoneinfo.ZoneInfo) and zone.key != "UTC"):
        return value + delta
    return (value.astimezone(tz) + delta).astimezone(zone)  # UTC or a fixed offset: wall time of the branch


def _shift_list(ev: icalendar.Event, prop: str, delta: dt.timedelta, tz: zoneinfo.ZoneInfo) -> None:
    values = ev.get(prop)
    if values is None:
        return
    ev.pop(prop)
    for item in values if isinstance(values, list) else [values]:
        for dts in item.dts:
            ev.add(prop, _shift(dts.dt, delta, tz))


def shift_series(text: str, *, delta: dt.timedelta, duration: dt.timedelta | None, tzname: str,
                 now: dt.datetime | None = None) -> str:
    """Shift the whole series by the wall-clock ``delta``; ``duration`` (if given) is the master's new length."""
    now = now or dt.datetime.now(UTC)
    tz = zoneinfo.ZoneInfo(tzname)
    cal = ical.parse(text)
    master = ical.master_event(cal)
    start, end = ical.event_bounds(master)
    new_start = _shift(start, delta, tz)
    _set_times(master, new_start, new_start + duration if duration is not None else _shift(end, delta, tz))
    for prop in ("EXDATE", "RDATE"):
        _shift_list(master, prop, delta, tz)
    for ev in ical.events(cal):
        if ev is master or "RECURRENCE-ID" not in ev:
            continue
        rid = ev["RECURRENCE-ID"].dt
        ev_start, ev_end = ical.event_bounds(ev)
        if _same_value(ev["RECURRENCE-ID"], ev_start, tz):  # changed, not moved: it moves with the series
            _set_times(ev, _shift(ev_start, delta, tz), _shift(ev_end, delta, tz))
        ev.pop("RECURRENCE-ID")
        ev.add("RECURRENCE-ID", _shift(rid, delta, tz))
        _stamp(ev, now)
    _stamp(master, now)
    ical.ensure_timezones(cal)
    return ical.serialize(cal)
