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
import dataclasses
import datetime as dt
import re
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import icalendar
from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, CharField, IntegerField
from django.db.models.expressions import RawSQL
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
from .models import Appointment, AppointmentType, Booking, Occurrence, Resource

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
    """One double booking: ``resource`` is booked by ``other`` at an overlapping time.

    ``other_id`` is None while ``other`` is an appointment of the same batch not yet written
    (``Pending``); the writer fills it in once the batch is (``with_ids``).
    """

    resource: Resource
    other_id: int | None
    other_title: str
    start: dt.datetime
    end: dt.datetime
    other: Appointment | None = dataclasses.field(default=None, repr=False, compare=False)

    def __str__(self) -> str:
        local = self.start.astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE))
        return _("„%(res)s“ ist am %(when)s schon durch „%(title)s“ belegt") % {
            "res": self.resource.name, "when": local.strftime("%d.%m.%Y %H:%M"), "title": self.other_title}

    def with_ids(self) -> Conflict:
        if self.other_id is None and self.other is not None:
            return dataclasses.replace(self, other_id=self.other.pk)
        return self


@dataclass
class Pending:
    """An appointment of a batch judged but not written yet (``services.store_many``): the ones after it
    in the batch must see it as if it were stored, so a batch flags what one write at a time would."""

    appointment: Appointment
    resource_ids: frozenset[int]
    spans: list[tuple[dt.datetime, dt.datetime]]

    def __post_init__(self) -> None:
        self.lo = min((s for s, _ in self.spans), default=None)
        self.hi = max((e for _, e in self.spans), default=None)


def blocks_resources(*, all_day: bool, status: str) -> bool:
    """P2: whether an appointment occupies its resources. Cancelled and all-day ones do not."""
    return not all_day and status != Appointment.Status.CANCELLED


SPANS_PER_QUERY = 100  # the spans of one query (a series' are asked in chunks: each span is an index range)
# Occurrences up to this long are found by a range of the time index ending at the span (``start`` in
# [span start - LONG, span end)); longer ones (a timed appointment over days: rare) are marked ``is_long``.
LONG = Occurrence.LONG


def _overlapping(spans: list[tuple[dt.datetime, dt.datetime]], exclude_id: int | None) -> RawSQL:
    """Occurrences overlapping any of the spans, each span one short range of the time index.

    Occurrences are keyed by time (index ``occurrence_by_time`` on ``start``, ``end``; the few long
    ones in ``occurrence_long``), so a span's candidates are the occurrences starting shortly before
    or in it, however large the calendar, and a weekly series costs one short range per instance.
    Written as SQL because the ORM spends milliseconds compiling a hundred ``Q`` terms (the profile
    of an import: more than the query itself); the values are parameters, adapted by the backend.
    The columns are named with their table: ``_rows`` adds subqueries on tables with such columns too.
    """
    qn, adapt = connection.ops.quote_name, connection.ops.adapt_datetimefield_value
    table = qn(Occurrence._meta.db_table)
    start, end, is_long, appt = (f"{table}.{qn(c)}" for c in ("start", "end", "is_long", "appointment_id"))
    lo, hi = spans[0][0], max(e for _, e in spans)
    terms = [f"({is_long} AND {start} < %s AND {end} > %s)"]
    params = [adapt(hi), adapt(lo)]
    for s, e in spans:
        terms.append(f"({start} >= %s AND {start} < %s AND {end} > %s)")
        params += [adapt(s - LONG), adapt(e), adapt(s)]
    other = f" AND {appt} <> %s" if exclude_id is not None else ""
    params += [exclude_id] if exclude_id is not None else []
    return RawSQL(f"(({' OR '.join(terms)}){other})", params, output_field=BooleanField())


Row = tuple[int | Appointment, str, int, dt.datetime, dt.datetime]  # other (id, or a pending one), title, resource


def _blocking_title(table: str) -> RawSQL:
    """The title of the occurrence's appointment if it blocks (``blocks_resources``), else NULL."""
    qn = connection.ops.quote_name
    a = qn(Appointment._meta.db_table)
    return RawSQL(f"SELECT {a}.{qn('title')} FROM {a} WHERE {a}.{qn('id')} = {table}.{qn('appointment_id')} "
                  f"AND {a}.{qn('deleted_at')} IS NULL AND NOT {a}.{qn('all_day')} AND {a}.{qn('status')} <> %s",
                  [Appointment.Status.CANCELLED], output_field=CharField())


def _booked_on(table: str, resource_id: int) -> RawSQL:
    """1 if the occurrence's appointment is booked (active) on the resource, else NULL: by the unique index on both.

    A scalar subquery, not ``EXISTS``: PostgreSQL may run an ``EXISTS`` as a hash of every booking of the calendar.
    """
    qn = connection.ops.quote_name
    b = qn(Booking._meta.db_table)
    return RawSQL(f"SELECT 1 FROM {b} WHERE {b}.{qn('appointment_id')} = {table}.{qn('appointment_id')} "
                  f"AND {b}.{qn('resource_id')} = %s AND {b}.{qn('deleted_at')} IS NULL LIMIT 1",
                  [resource_id], output_field=IntegerField())


def _rows(spans: list[tuple[dt.datetime, dt.datetime]], resource_ids: list[int],
          exclude: Appointment | None) -> list[Row]:
    """(other id, title, resource id, start, end) of other blocking occurrences near the spans.

    One read per hundred spans: the occurrences by time (the index ranges of ``_overlapping``), each
    with its appointment's title if it blocks and, per resource, whether it is booked there, as
    subqueries by key (the appointment's primary key, the bookings' unique index). Not a join: with
    one, PostgreSQL hashes every booking of the calendar (8 ms at 10 000 objects, growing with it),
    where a subquery per candidate costs the same at any calendar size.
    """
    table = connection.ops.quote_name(Occurrence._meta.db_table)
    flags = {f"on_{i}": _booked_on(table, rid) for i, rid in enumerate(resource_ids)}
    rows: list[Row] = []
    for i in range(0, len(spans), SPANS_PER_QUERY):
        found = (Occurrence.objects.filter(_overlapping(spans[i:i + SPANS_PER_QUERY], exclude and exclude.pk))
                 .annotate(blocking_title=_blocking_title(table), **flags)
                 .values_list("appointment_id", "blocking_title", "start", "end", *flags))
        for appt_id, title, s, e, *booked in found:
            if title is not None:  # it blocks: booked, not deleted, timed, not cancelled
                rows += [(appt_id, title, rid, s, e)
                         for rid, on in zip(resource_ids, booked, strict=True) if on is not None]
    return rows


def _pending_rows(pending: list[Pending], resources: dict[int, Resource], exclude: Appointment | None,
                  lo: dt.datetime, hi: dt.datetime) -> Iterator[Row]:
    """The same rows for a batch's appointments not written yet (the same rule: ``blocks_resources``)."""
    for p in pending:
        a = p.appointment
        if a is exclude or not p.spans or p.hi <= lo or p.lo >= hi \
                or not blocks_resources(all_day=a.all_day, status=a.status):
            continue
        for rid in sorted(p.resource_ids & resources.keys()):
            for s, e in p.spans:
                if s < hi and e > lo:
                    yield a, a.title, rid, s, e


def find_conflicts(spans: list[tuple[dt.datetime, dt.datetime]], resources: Iterable[Resource], *,
                   exclude: Appointment | None = None, all_day: bool = False,
                   status: str = Appointment.Status.CONFIRMED, pending: list[Pending] | None = None) -> list[Conflict]:
    """P2: occurrences of other appointments overlapping these spans on the same resources.

    Answered from the occurrence table (no iCalendar parsing): one query per hundred spans, each
    span a short range of the time index, then a sweep in Python. Cancelled and all-day
    appointments do not block a resource (an all-day entry is a note, such as "Inventur", not a
    booking). ``pending``: appointments of the same batch not written yet, judged as if they were.
    The shared test of the writer, the batch writer and the planner.
    """
    resources = {r.pk: r for r in resources}
    if not blocks_resources(all_day=all_day, status=status) or not spans or not resources:
        return []
    spans = sorted(spans)[:MAX_CONFLICT_SPANS]
    rows = _rows(spans, list(resources), exclude)
    rows += list(_pending_rows(pending or [], resources, exclude, spans[0][0], max(e for _, e in spans)))
    rows.sort(key=lambda row: row[3])
    starts = [s for s, _ in spans]
    found, seen = [], set()
    for other, title, resource_id, s, e in rows:
        key = (other if isinstance(other, int) else id(other), resource_id)
        if key in seen:
            continue
        i = bisect.bisect_left(starts, e) - 1  # our last span starting before the other one ends
        if i >= 0 and spans[i][1] > s:
            seen.add(key)
            found.append(Conflict(resources[resource_id], other if isinstance(other, int) else None, title, s, e,
                                  other=None if isinstance(other, int) else other))
    return found
