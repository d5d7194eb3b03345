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
    """The VEVENT's whitelisted properties in their original order; no subcomponents (alarms), no X- parameters."""
    out = icalendar.Event()
    for key, value in ev.property_items(recursive=False, sorted=False)[1:-1]:
        if key not in KEPT:
            continue
        params = getattr(value, "params", None)
        if params:
            for name in [p for p in params if p.upper().startswith("X-")]:
                del params[name]
        out.add(key, value, encode=False)
    return out


def redact(ical_text: str, level: str, *, type_name: str = "", room_name: str = "") -> str:
    """The object as a phone receives it at ``level`` (``branches.models.Privacy``).

    - ``full``: unchanged, byte for byte;
    - ``no_customer``: SUMMARY is the appointment type's name (or "Termin"), LOCATION the
      room's name; times, recurrence, UID, STATUS, TRANSP, SEQUENCE, DTSTAMP and time zones
      stay; description, attendees, organizer, contact, comment, URL, attachments, X-
      properties and alarms are dropped;
    - ``busy``: SUMMARY "Belegt", CLASS:CONFIDENTIAL, times and recurrence only.
    """
    if level == Privacy.FULL:
        return ical_text
    source = ical.parse(ical_text)
    out = icalendar.Calendar()
    out.add("PRODID", ical.PRODID)
    for key in CALENDAR_PROPERTIES:
        if key in source:
            out.add(key, source[key], encode=False)
    if "VERSION" not in out:
        out.add("VERSION", "2.0")
    for comp in source.subcomponents:
        if comp.name == "VTIMEZONE":
            out.add_component(comp)
        elif comp.name == "VEVENT":
            ev = _copy_event(comp)
            if level == Privacy.BUSY:
                ev.add("SUMMARY", BUSY_SUMMARY)
                ev.add("CLASS", "CONFIDENTIAL")
            else:
                ev.add("SUMMARY", type_name.strip() or DEFAULT_SUMMARY)
                if room_name.strip():
                    ev.add("LOCATION", room_name.strip())
            out.add_component(ev)
    return ical.serialize(out)


def redacted_variants(ical_text: str, *, type_name: str, room_name: str) -> dict[str, str]:
    """The stored object at every level that changes it (for the writer)."""
    return {level: redact(ical_text, level, type_name=type_name, room_name=room_name)
            for level in (Privacy.NO_CUSTOMER, Privacy.BUSY)}
