"""What a colleague's phone receives of an appointment (V1): the stored object with the customer taken out.

``redact`` is deterministic (the same stored object and names give the same bytes), so the
writer computes the redacted objects and their ETags once, at write time
(``scheduler.services``), and the CalDAV endpoint serves them without per-object work. Which
level applies to which credential is ``servicecreds.access.privacy_for``; this module only
knows what each level leaves of an object.

Redaction keeps a whitelist, never a blacklist: a property a client invents tomorrow
(``X-…``, ``CONTACT``, ``ATTACH``, an alarm) is not passed on to a colleague.
"""

from __future__ import annotations

import copy

import icalendar

from branches.models import Privacy

from . import ical

# RFC 5545 §3.6.1: what a redacted VEVENT keeps — when it is, how it recurs, which object it is.
TIME_PROPERTIES = ("DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID")
IDENTITY_PROPERTIES = ("UID", "DTSTAMP", "SEQUENCE", "STATUS", "TRANSP")
KEPT = frozenset(TIME_PROPERTIES + IDENTITY_PROPERTIES)
CALENDAR_PROPERTIES = ("VERSION", "CALSCALE")
# Fixed words, not translations: the stored bytes (and their ETags) must not depend on the language
# of the request that happened to write the appointment.
DEFAULT_SUMMARY = "Termin"
BUSY_SUMMARY = "Belegt"


def _copy_event(ev: icalendar.Event) -> icalendar.Event:
    """The VEVENT's whitelisted properties in their original order; no subcomponents (alarms), no X- parameters.

    The source is not changed (the writer hands its parsed calendar on to every level)."""
    out = icalendar.Event()
    for key, value in ev.property_items(recursive=False, sorted=False)[1:-1]:
        if key not in KEPT:
            continue
        params = getattr(value, "params", None)
        if params and any(p.upper().startswith("X-") for p in params):
            value = copy.copy(value)
            value.params = icalendar.Parameters({p: v for p, v in params.items() if not p.upper().startswith("X-")})
        out.add(key, value, encode=False)
    return out


Source = str | icalendar.Calendar


def _parsed(source: Source) -> icalendar.Calendar:
    return ical.parse(source) if isinstance(source, str) else source


def _head(source: icalendar.Calendar) -> icalendar.Calendar:
    """The redacted calendar's own properties (no components yet)."""
    out = icalendar.Calendar()
    out.add("PRODID", ical.PRODID)
    for key in CALENDAR_PROPERTIES:
        if key in source:
            out.add(key, source[key], encode=False)
    if "VERSION" not in out:
        out.add("VERSION", "2.0")
    return out


def _redacted_event(comp: icalendar.Event, level: str, type_name: str, room_name: str) -> icalendar.Event:
    ev = _copy_event(comp)
    if level == Privacy.BUSY:
        ev.add("SUMMARY", BUSY_SUMMARY)
        ev.add("CLASS", "CONFIDENTIAL")
    else:
        ev.add("SUMMARY", type_name.strip() or DEFAULT_SUMMARY)
        if room_name.strip():
            ev.add("LOCATION", room_name.strip())
    return ev


def _serialized(head: bytes, parts: list[bytes]) -> str:
    """``Calendar.to_ical`` of the head with these serialised components, byte for byte."""
    end = b"END:VCALENDAR\r\n"
    return (head[:-len(end)] + b"".join(parts) + end).decode("utf-8")


def redact(ical_text: Source, level: str, *, type_name: str = "", room_name: str = "") -> str:
    """The object as a phone receives it at ``level`` (``branches.models.Privacy``).

    - ``full``: unchanged, byte for byte;
    - ``no_customer``: SUMMARY is the appointment type's name (or "Termin"), LOCATION the
      room's name; times, recurrence, UID, STATUS, TRANSP, SEQUENCE, DTSTAMP and time zones
      stay; description, attendees, organizer, contact, comment, URL, attachments, X-
      properties and alarms are dropped;
    - ``busy``: SUMMARY "Belegt", CLASS:CONFIDENTIAL, times and recurrence only.

    ``ical_text`` may be the parsed calendar (the writer's), except at ``full``.
    """
    if level == Privacy.FULL:
        return ical_text if isinstance(ical_text, str) else ical.serialize(ical_text)
    return redacted_variants(ical_text, type_name=type_name, room_name=room_name, levels=(level,))[level]


def redacted_variants(ical_text: Source, *, type_name: str, room_name: str,
                      levels: tuple[str, ...] = (Privacy.NO_CUSTOMER, Privacy.BUSY)) -> dict[str, str]:
    """The stored object at every level that changes it (for the writer).

    One parse (none when the writer hands on its parsed calendar); the time zones, the bulk of
    a typical object, are serialised once for all levels.
    """
    source = _parsed(ical_text)
    head = _head(source).to_ical()
    zones = {id(c): c.to_ical() for c in source.subcomponents if c.name == "VTIMEZONE"}
    out = {}
    for level in levels:
        parts = [zones[id(c)] if c.name == "VTIMEZONE" else
                 _redacted_event(c, level, type_name, room_name).to_ical()
                 for c in source.subcomponents if c.name in ("VTIMEZONE", "VEVENT")]
        out[level] = _serialized(head, parts)
    return out
