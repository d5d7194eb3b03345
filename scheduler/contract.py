"""The appointment contract: what an appointment may be, checked the same way at every door.

CalDAV, the REST API, the admin, the planner and ``loaddemo`` all write through
``scheduler.services``, and the writer asks this module. A rule lives here once;
a door never re-derives it (it only translates the refusal, see
``scheduler.exceptions``).

- ``check_object``: a client's iCalendar text (RFC 4791 §4.1: one VEVENT series,
  one UID, valid dates, sizes, bounded recurrence);
- ``normalise_times``: all-day snapping and "end after start" for modelled fields;
- ``check_resources``: what an appointment of a branch may book (S1, S6);
- ``find_conflicts``: double bookings, per occurrence, from the occurrence table (P2).
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass

import icalendar
from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext as _

from branches.models import Branch

from . import ical
from .exceptions import (
    InvalidCalendarData,
    InvalidObject,
    InvalidResources,
    InvalidTimes,
    RecurrenceRefused,
    ResourceOfOtherBranch,
    TooLarge,
    TypeOfOtherBranch,
    UnsupportedComponent,
)
from .models import Appointment, AppointmentType, Occurrence, Resource

MAX_OBJECT_SIZE = getattr(settings, "CALDAV_MAX_RESOURCE_SIZE", 1024 * 1024)  # bytes of one iCalendar object
ALLOWED_COMPONENTS = {"VEVENT", "VTIMEZONE"}
# Column sizes of the modelled properties (PostgreSQL enforces them; SQLite does not).
MAX_LENGTHS = {"UID": 255, "SUMMARY": 255, "LOCATION": 255}
MAX_RRULE = 500
EARLIEST_YEAR, LATEST_YEAR = 1900, 2199
# FREQ=SECONDLY/MINUTELY make every reader's work unbounded (R1); a setting may allow them.
REFUSED_FREQUENCIES = {"SECONDLY", "MINUTELY"}
MAX_CONFLICT_SPANS = 2000  # occurrences of one appointment checked for double bookings


@dataclass
class CheckedObject:
    """A client's object that passed the contract: the parsed calendar, its UID and modelled fields."""

    text: str
    cal: icalendar.Calendar
    uid: str
    fields: ical.Fields


def _parse(text: str) -> icalendar.Calendar:
    if len(text.encode("utf-8", "surrogatepass")) > MAX_OBJECT_SIZE:
        raise TooLarge(_("Ein Termin darf höchstens %(n)d Bytes groß sein."), n=MAX_OBJECT_SIZE)
    if "\x00" in text:
        raise InvalidCalendarData(_("Die iCalendar-Daten enthalten ein NUL-Zeichen."))
    try:
        return ical.parse(text)
    except ical.InvalidCalendar as exc:
        raise InvalidCalendarData(_("Die iCalendar-Daten sind nicht lesbar: %(err)s"), err=str(exc)[:200]) from None


def _check_components(cal: icalendar.Calendar) -> str:
    names = {c.name for c in cal.subcomponents}
    if not names <= ALLOWED_COMPONENTS or "VEVENT" not in names:
        raise UnsupportedComponent()
    uids = {str(ev.get("UID", "")).strip() for ev in ical.events(cal)}
    if len(uids) != 1 or "" in uids:
        raise InvalidObject()
    return uids.pop()


def _check_date(value: dt.date, prop: str) -> None:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise InvalidCalendarData(_("%(prop)s liegt außerhalb der Jahre %(a)d–%(b)d."),
                                  prop=prop, a=EARLIEST_YEAR, b=LATEST_YEAR, field="start")


def _check_event(ev: icalendar.Event) -> None:
    if "DTSTART" not in ev:
        raise InvalidCalendarData(_("Ein VEVENT ohne DTSTART ist kein Termin."), field="start")
    try:
        start, end = ical.event_bounds(ev)
        _decode_dates(ev)
    except Exception as exc:  # icalendar decodes lazily: bad dates surface here
        raise InvalidCalendarData(_("Ungültige Datumsangabe: %(err)s"), err=str(exc)[:200], field="start") from None
    if not isinstance(start, dt.date) or not isinstance(end, dt.date):
        raise InvalidCalendarData(_("Ungültige Datumsangabe."), field="start")
    if isinstance(start, dt.datetime) != isinstance(end, dt.datetime):
        raise InvalidCalendarData(_("DTSTART und DTEND müssen beide Datum oder beide Datum mit Uhrzeit sein."),
                                  field="end")
    _check_date(start, "DTSTART")
    _check_date(end, "DTEND")
    if end < start:
        raise InvalidTimes()
    _check_event_texts(ev)


def _decode_dates(ev: icalendar.Event) -> None:
    """icalendar parses date lists lazily: touch every value now, so a broken one is refused here."""
    for prop in ("RECURRENCE-ID", "EXDATE", "RDATE"):
        values = ev.get(prop)
        for value in values if isinstance(values, list) else ([values] if values is not None else []):
            for item in getattr(value, "dts", None) or [value]:
                item.dt  # noqa: B018 - raises on a broken value
                _check_date(item.dt[0] if isinstance(item.dt, tuple) else item.dt, prop)


def _check_event_texts(ev: icalendar.Event) -> None:
    for prop, limit in MAX_LENGTHS.items():
        if prop in ev:
            _check_property_text(str(ev[prop]), prop, limit)
    rrule = ev.get("RRULE")
    if rrule is not None:
        for rule in rrule if isinstance(rrule, list) else [rrule]:
            if len(rule.to_ical()) > MAX_RRULE:
                raise InvalidCalendarData(_("Die Wiederholungsregel ist länger als %(n)d Zeichen."), n=MAX_RRULE,
                                          field="rrule")


def _check_property_text(value: str, prop: str, limit: int | None) -> None:
    if any(ord(ch) < 32 and ch not in "\t\r\n" for ch in value):
        raise InvalidCalendarData(_("%(prop)s enthält unzulässige Steuerzeichen."), prop=prop, field=_FIELDS[prop])
    if limit is not None and len(value) > limit:
        raise InvalidCalendarData(_("%(prop)s ist länger als %(n)d Zeichen."), prop=prop, n=limit,
                                  field=_FIELDS[prop])


_FIELDS = {"UID": "uid", "SUMMARY": "title", "LOCATION": "place", "DESCRIPTION": "notes", "RRULE": "rrule"}


def check_recurrence(cal: icalendar.Calendar) -> None:
    """Refuse second- and minute-wise series (R1) unless ``SCHEDULER_ALLOW_FREQUENT_RECURRENCE``."""
    if getattr(settings, "SCHEDULER_ALLOW_FREQUENT_RECURRENCE", False):
        return
    if ical.frequencies(cal) & REFUSED_FREQUENCIES:
        raise RecurrenceRefused()


def check_object(text: str, default_tz: str) -> CheckedObject:
    """RFC 4791 §4.1 and our limits, for a client's object (CalDAV PUT, REST ``ical``).

    Known malformations of real clients (``ical.QUIRKS``: ``TRIGGER:-P300S``, a byte-order mark, ...)
    are read leniently by ``ical.parse``; the object is still stored as sent. What no repair can
    read (a TRIGGER of ``soon``, a month 13) stays refused (tests/contract/test_quirks.py).
    """
    cal = _parse(text)
    uid = _check_components(cal)
    for ev in ical.events(cal):
        _check_event(ev)
    check_recurrence(cal)
    try:
        fields = ical.extract(cal, default_tz)
    except ical.InvalidCalendar as exc:
        raise InvalidCalendarData(str(exc)) from None
    except (ValueError, OverflowError, TypeError) as exc:
        raise InvalidCalendarData(_("Ungültige Datumsangabe: %(err)s"), err=str(exc)[:200], field="start") from None
    return CheckedObject(text, cal, uid, fields)


def check_fields(*, title: str, notes: str, place: str, rrule: str) -> None:
    """The modelled fields a form or the API sets (the same limits as a client's object)."""
    for prop, value in (("SUMMARY", title), ("LOCATION", place), ("DESCRIPTION", notes)):
        _check_property_text(value or "", prop, MAX_LENGTHS.get(prop))
    if rrule:
        _check_property_text(rrule, "RRULE", MAX_RRULE)
        try:
            rule = icalendar.vRecur.from_ical(rrule)
            from dateutil.rrule import rrulestr

            utc_until = re.search(r"UNTIL=\d{8}T\d{6}Z", rrule.upper())  # dateutil wants matching awareness
            rrulestr(rrule, dtstart=dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc if utc_until else None))
        except (ValueError, TypeError) as exc:
            raise InvalidCalendarData(_("Ungültige Wiederholungsregel: %(err)s"), err=str(exc)[:200],
                                      field="rrule") from None
        if not getattr(settings, "SCHEDULER_ALLOW_FREQUENT_RECURRENCE", False) and \
                {str(f).upper() for f in rule.get("FREQ", [])} & REFUSED_FREQUENCIES:
            raise RecurrenceRefused()


def default_title(appointment_type: AppointmentType | None, customer_name: str) -> str:
    """The title of an appointment entered without one: "type – customer", either alone, or "Termin"."""
    parts = [p for p in ((appointment_type.name if appointment_type else ""), customer_name.strip()) if p]
    return " – ".join(parts)[:MAX_LENGTHS["SUMMARY"]] or _("Termin")


def check_appointment_type(branch: Branch | None, appointment_type: AppointmentType | None) -> None:
    """An appointment type is one branch's; an appointment of another branch cannot use it."""
    if appointment_type is not None and branch is not None and appointment_type.branch_id != branch.pk:
        raise TypeOfOtherBranch()


def all_day_bounds(start: dt.datetime, end: dt.datetime, tzname: str) -> tuple[dt.datetime, dt.datetime]:
    """Snap an all-day appointment to local midnights; the end is exclusive (RFC 5545 DATE)."""
    tz = zoneinfo.ZoneInfo(tzname)
    s_local, e_local = start.astimezone(tz), end.astimezone(tz)
    s = dt.datetime.combine(s_local.date(), dt.time(0), tzinfo=tz)
    e_day = e_local.date() if e_local.time() == dt.time(0) else e_local.date() + dt.timedelta(days=1)
    e = dt.datetime.combine(max(e_day, s.date() + dt.timedelta(days=1)), dt.time(0), tzinfo=tz)
    return s, e


def normalise_times(*, start: dt.datetime, end: dt.datetime, all_day: bool,
                    tzname: str) -> tuple[dt.datetime, dt.datetime]:
    """All-day appointments span whole local days; every appointment ends after it starts."""
    if start is None or end is None:
        raise InvalidTimes(_("Beginn und Ende sind erforderlich."), field="start" if start is None else "end")
    for value, field in ((start, "start"), (end, "end")):
        if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
            raise InvalidTimes(_("Das Datum liegt außerhalb der Jahre %(a)d–%(b)d."), a=EARLIEST_YEAR,
                               b=LATEST_YEAR, field=field)
    if end < start:
        raise InvalidTimes()
    if all_day:
        start, end = all_day_bounds(start, end, tzname)
    return start, end


def check_resources(branch: Branch | None, resources: Iterable[Resource]) -> list[str]:
    """What an appointment of ``branch`` may book; returns warnings (not refusals).

    Rooms and devices are places of one branch, so a location resource of another
    branch is refused; a person may work in several branches, so booking a
    colleague of another branch is allowed with a warning.
    """
    resources = list(resources)
    if not resources:
        raise InvalidResources()
    warnings = []
    for res in resources:
        if not res.active:
            raise InvalidResources(_("Die Ressource „%(name)s“ ist nicht aktiv."), name=res.name)
        if res.kind == Resource.Kind.LOCATION and res.employee_id:
            raise InvalidResources(_("Die Ortsressource „%(name)s“ darf keinen Mitarbeiter haben."), name=res.name)
        if branch is not None and res.branch_id != branch.pk:
            if res.kind == Resource.Kind.LOCATION:
                raise ResourceOfOtherBranch(
                    _("Die Ortsressource „%(name)s“ gehört zu einer anderen Filiale."), name=res.name)
            warnings.append(_("„%(name)s“ gehört zu einer anderen Filiale.") % {"name": res.name})
    return warnings


@dataclass(frozen=True)
class Conflict:
    """One double booking: ``resource`` is booked by ``other`` at an overlapping time."""

    resource: Resource
    other_id: int
    other_title: str
    start: dt.datetime
    end: dt.datetime

    def __str__(self) -> str:
        local = self.start.astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE))
        return _("„%(res)s“ ist am %(when)s schon durch „%(title)s“ belegt") % {
            "res": self.resource.name, "when": local.strftime("%d.%m.%Y %H:%M"), "title": self.other_title}


def blocks_resources(*, all_day: bool, status: str) -> bool:
    """P2: whether an appointment occupies its resources. Cancelled and all-day ones do not."""
    return not all_day and status != Appointment.Status.CANCELLED


MAX_SPANS_IN_SQL = 100  # beyond this many spans the database filters by their envelope, the sweep by each


def _overlapping(spans: list[tuple[dt.datetime, dt.datetime]], lo: dt.datetime, hi: dt.datetime) -> Q:
    """Occurrences overlapping the spans, for a plan that does not visit every booking of the calendar.

    The candidates come from the appointments' time-range index (``first_start``, ``last_end``:
    every occurrence lies within them), so the work grows with the appointments near the spans,
    not with the calendar's size; each span's own bounds keep the rows to the real overlaps.
    """
    near = (Appointment.objects.filter(first_start__lt=hi)
            .filter(Q(last_end__gt=lo) | Q(last_end__isnull=True)).values("pk"))
    q = Q(appointment_id__in=near, start__lt=hi, end__gt=lo)
    if len(spans) <= MAX_SPANS_IN_SQL:
        each = Q()
        for s, e in spans:
            each |= Q(start__lt=e, end__gt=s)
        q &= each
    return q


def find_conflicts(spans: list[tuple[dt.datetime, dt.datetime]], resources: Iterable[Resource], *,
                   exclude: Appointment | None = None, all_day: bool = False,
                   status: str = Appointment.Status.CONFIRMED) -> list[Conflict]:
    """P2: occurrences of other appointments overlapping these spans on the same resources.

    Answered from the occurrence table in one query over the spans' envelope
    (no iCalendar parsing), then a sweep in Python. Cancelled and all-day
    appointments do not block a resource (an all-day entry is a note, such as
    "Inventur", not a booking). The shared test of the writer and the planner.
    """
    resources = {r.pk: r for r in resources}
    if not blocks_resources(all_day=all_day, status=status) or not spans or not resources:
        return []
    spans = sorted(spans)[:MAX_CONFLICT_SPANS]
    lo, hi = spans[0][0], max(e for _, e in spans)
    rows = (Occurrence.objects
            .filter(_overlapping(spans, lo, hi), appointment__deleted_at__isnull=True, appointment__all_day=False,
                    appointment__bookings__resource__in=list(resources),
                    appointment__bookings__deleted_at__isnull=True)
            .exclude(appointment__status=Appointment.Status.CANCELLED)
            .exclude(Q(appointment=exclude) if exclude is not None and exclude.pk else Q(pk__in=[]))
            .values_list("appointment_id", "appointment__title", "appointment__bookings__resource_id", "start", "end")
            .order_by("start"))
    starts = [s for s, _ in spans]
    found, seen = [], set()
    for other_id, title, resource_id, s, e in rows:
        if (other_id, resource_id) in seen:
            continue
        i = bisect.bisect_left(starts, e) - 1  # our last span starting before the other one ends
        if i >= 0 and spans[i][1] > s:
            seen.add((other_id, resource_id))
            found.append(Conflict(resources[resource_id], other_id, title, s, e))
    return found
