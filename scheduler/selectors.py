"""Reads without side effects, for CalDAV, the REST API, the admin and the planner; each function a fixed number of queries.

This is the one module that queries appointments, bookings, occurrences and changes: each
function runs a fixed number of SQL queries whatever the number of objects, so PROPFIND and
REPORT never query per object, and no view, handler or admin screen builds a queryset itself.

Time ranges are answered like the CalDAV calendar-query: the time-range index
prefilters, the occurrence table decides in SQL, and only objects the table
does not cover for the range (an endless series queried past its horizon) are
expanded in Python, under the request's expansion budget.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import zoneinfo
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, Subquery, Value

from branches.models import Branch, Privacy

from . import contract, ical
from .compiled_query import CompiledQuery, datetime_placeholder, int_placeholder, str_placeholder
from .models import (
    Appointment,
    Booking,
    Change,
    Occurrence,
    Resource,
    appointments_occurring,
    occurrence_annotations,
    overlap_q,
)


def appointments_in_range(queryset, start: dt.datetime | None, end: dt.datetime | None) -> list[Appointment]:
    """Appointments with an occurrence in [start, end) (RFC 4791 §9.9 overlap)."""
    qs = queryset.overlapping(start, end).select_related("branch")
    if start is None and end is None:
        return list(qs)
    result = []
    for appt in qs.annotate(**occurrence_annotations(start, end)):
        if appt.occurs_known:
            if appt.occurs:
                result.append(appt)
        elif ical.occurs(ical.parse(appt.ical), start, end, appt.timezone or appt.branch.timezone):
            result.append(appt)
    return result


# --- The CalDAV backend: a calendar's objects and its change log ----------------------------------

# Columns needed to describe an object without its body (PROPFIND, sync, multiget ETags).
_META = ("name", "appointment_id", "appointment__etag", "appointment__size", "appointment__modified",
         "appointment__uid")
# V1: the redacted objects (small: no descriptions, attendees or alarms) with their ETags.
_REDACTED = ("appointment__etag_no_customer", "appointment__ical_no_customer", "appointment__etag_busy",
             "appointment__ical_busy")


@dataclass
class CalendarObject:
    """One object of a calendar as the protocol sees it (``ical`` only when asked for)."""

    name: str
    appointment_id: int
    etag: str
    size: int
    modified: dt.datetime
    uid: str
    ical: str | None = None
    occurs: bool | None = None  # from the occurrence table: instance in the queried range? None = unknown
    # V1: the object at the other privacy levels (level -> (etag, text)), loaded with ``redacted=True``
    variants: dict[str, tuple[str, str]] = field(default_factory=dict)
    redacted: bool = False  # this is a redacted variant (read-only to whoever receives it)

    @classmethod
    def from_row(cls, row: dict) -> CalendarObject:
        known = row.get("occurs_known")
        variants = {level: (row[f"appointment__etag_{level}"], row[f"appointment__ical_{level}"])
                    for level in ("no_customer", "busy") if f"appointment__ical_{level}" in row}
        return cls(name=row["name"], appointment_id=row["appointment_id"], etag=row["appointment__etag"],
                   size=row["appointment__size"], modified=row["appointment__modified"],
                   uid=row["appointment__uid"], ical=row.get("appointment__ical"),
                   occurs=row["occurs"] if known else None, variants=variants)

    def at_level(self, level: str) -> CalendarObject:
        """This object as received at a privacy level (``scheduler.redaction``): its redacted text and ETag."""
        if level not in self.variants:
            return self
        etag, text = self.variants[level]
        return dataclasses.replace(self, etag=etag, ical=text, size=len(text.encode("utf-8")), redacted=True,
                                   variants={})


def _rows(qs, with_data: bool, extra=(), redacted: bool = False) -> list[CalendarObject]:
    fields = (_META + (("appointment__ical",) if with_data else ()) + tuple(extra)
              + (_REDACTED if redacted else ()))
    return [CalendarObject.from_row(r) for r in qs.values(*fields)]


def _active(resource: Resource):
    return Booking.objects.active().filter(resource=resource)


def _active_in(resource_id: int):
    return Booking.objects.active().filter(resource_id=resource_id)


def get_booking(resource: Resource, name: str) -> Booking | None:
    return _active(resource).select_related("appointment", "resource").filter(name=name).first()


def objects_by_names(resource: Resource, names, *, with_data: bool = False,
                     redacted: bool = False) -> dict[str, CalendarObject]:
    names = list(dict.fromkeys(names))
    found: dict[str, CalendarObject] = {}
    for i in range(0, len(names), 500):  # stay below SQLite's parameter limit
        for obj in _rows(_active(resource).filter(name__in=names[i:i + 500]), with_data, redacted=redacted):
            found[obj.name] = obj
    return found


def objects_changed(resource: Resource, names: list[str], after: int, upto: int, *,
                    with_data: bool = False, redacted: bool = False) -> dict[str, CalendarObject]:
    """Current objects among the names changed in (after, upto]: one query, however many changed.

    A short list of names is looked up directly (the (resource, name) index); a long
    one through the change log itself, so the statement stays one query either way.
    """
    if len(names) <= 500:
        selected = names
    else:
        selected = Change.objects.filter(resource=resource, revision__gt=after, revision__lte=upto).values("name")
    return {o.name: o for o in _rows(_active(resource).filter(name__in=selected), with_data, redacted=redacted)}


def objects_in_range(resource: Resource, start: dt.datetime | None, end: dt.datetime | None,
                     *, with_data: bool = True, redacted: bool = False, alarm: bool = False) -> list[CalendarObject]:
    """Candidates whose time-range index overlaps [start, end), each with ``occurs`` from the
    occurrence table (exact where the table covers the range; None where the caller must expand).
    ``alarm``: only objects that carry a VALARM (a query about alarms)."""
    qs = _active(resource).filter(overlap_q(start, end, "appointment__"))
    if alarm:
        qs = qs.filter(appointment__has_alarm=True)
    if start is None and end is None:
        return _rows(qs.order_by("name"), with_data, redacted=redacted)
    qs = qs.annotate(**occurrence_annotations(start, end, "appointment__"))
    return _rows(qs.order_by("name"), with_data, extra=("occurs", "occurs_known"), redacted=redacted)


# --- Listings: rows, not objects (issue 13) -------------------------------------------------------

LISTING_CHUNK = 1000  # rows fetched per round trip while a listing is written out (memory: ~300 KiB)
_NAMES_PER_QUERY = 500  # stay below SQLite's parameter limit
# V1: where each privacy level's ETag and text are stored (``scheduler.redaction``, written by the writer).
_LEVEL_COLUMNS = {
    Privacy.FULL: ("appointment__etag", "appointment__ical"),
    Privacy.NO_CUSTOMER: ("appointment__etag_no_customer", "appointment__ical_no_customer"),
    Privacy.BUSY: ("appointment__etag_busy", "appointment__ical_busy"),
}


class ObjectRow(NamedTuple):
    """One listed object as a credential receives it: a tuple, not a model instance.

    It has the attribute names of ``CalendarObject``, so the protocol renders either;
    ``size``, ``modified`` and ``ical`` are None unless asked for.
    """

    name: str
    etag: str
    size: int | None
    modified: dt.datetime | None
    ical: str | None
    redacted: bool


class ReadAhead(NamedTuple):
    """An object read with the login's statement, before the access rule has run (``read_ahead_columns``).

    ``calendar_pk`` is the calendar its slug named (None: no such calendar), ``row`` the object complete
    (``Privacy.FULL``), or None if that calendar holds no such object. Only a hint: whoever uses it
    checks that resolution reached the same calendar and name, and that the credential receives this
    calendar's objects complete (``caldav_endpoint.methods.get``); otherwise the object is read again.
    """

    calendar_pk: int | None
    name: str
    row: ObjectRow | None


READ_AHEAD = ("etag", "modified", "ical")  # the columns ``read_ahead_columns`` adds, in this order


def read_ahead_columns(calendar, name) -> dict[str, Subquery]:
    """Subqueries for another statement: the object ``name`` of the calendar with slug ``calendar``, complete
    (the FULL level's columns), as a GET answers it. One index lookup each (the slug and the
    (calendar, name) of an active booking are unique), in the order of ``READ_AHEAD``, which ``read_ahead``
    takes back."""
    etag, text = _LEVEL_COLUMNS[Privacy.FULL]
    found = Booking.objects.active().filter(resource__slug=calendar, name=name).order_by()
    fields = {"etag": etag, "modified": "appointment__modified", "ical": text}
    return {f"ahead_{c}": Subquery(found.values(fields[c])[:1]) for c in READ_AHEAD}


def read_ahead(calendar_pk: int | None, name: str, values: Sequence) -> ReadAhead:
    """The ``READ_AHEAD`` values of a row as a ``ReadAhead`` (no ETag: no such object)."""
    etag, modified, text = values
    row = tuple.__new__(ObjectRow, (name, etag, None, modified, text, False)) if etag is not None else None
    return ReadAhead(calendar_pk, name, row)


def object_rows_in_range(resource: Resource, start: dt.datetime | None, end: dt.datetime | None, *,
                         size: bool = False, modified: bool = False, data: bool = False,
                         levels: Levels | None = None) -> tuple[list[ObjectRow], list[str]]:
    """The objects with an instance in [start, end) as ``ObjectRow``s at their level, in no order, and the
    names the occurrence table cannot decide for this range (an endless series queried past its horizon:
    the caller expands those, under the request's budget). One query.

    The time-range index and the occurrence table decide in SQL, so a week of a busy calendar costs a
    tuple per object, not a model instance or a dict (issue 13: the week query is most of a shop's load).
    """
    levels = levels or Levels()
    shape = _shape(size, modified, data, tuple(levels.distinct()))
    values = {"resource": resource.pk, "employee": levels.employee_id, "start": start, "end": end,
              "early": start - Occurrence.LONG if start is not None else None}
    rows = _range_read(shape, start is not None, end is not None).rows(**values)
    decided, undecided = [], []
    for row in rows:
        (undecided if row[-1] else decided).append(row)
    return list(_object_rows(decided, shape)), [row[0] for row in undecided]


@functools.lru_cache(maxsize=64)
def _range_read(shape: _Shape, has_start: bool, has_end: bool) -> CompiledQuery:
    """``object_rows_in_range``'s statement, compiled once per process (``compiled_query``): building it
    (a union of two reads with subqueries) cost twice what PostgreSQL spends running it."""
    placeholders: dict = {"resource": int_placeholder(0)}
    if shape.own_at is not None:
        placeholders["employee"] = int_placeholder(1)
    if has_start:
        placeholders.update(start=datetime_placeholder(0), early=datetime_placeholder(1))
    if has_end:
        placeholders["end"] = datetime_placeholder(2)

    def build(resource, employee=None, start=None, early=None, end=None):
        # an occurrence row in the range is an instance: decided, whatever the horizon
        occurring = _active_in(resource).filter(appointment_id__among_rows=appointments_occurring(start, end, early))
        # no row in the range, but the rows stop before its end: only an expansion can tell
        unsure = (_active_in(resource).filter(overlap_q(start, end, "appointment__"))
                  .filter(Q(appointment__occurrences_until__isnull=False,
                            appointment__occurrences_until__lt_unindexed=end) if end is not None
                          else Q(appointment__occurrences_until__isnull=False))
                  .exclude(appointment_id__in=appointments_occurring(start, end, early)))
        return _select(occurring.annotate(unsure=Value(False)), shape, employee, extra=("unsure",)).union(
            _select(unsure.annotate(unsure=Value(True)), shape, employee, extra=("unsure",)), all=True)

    return CompiledQuery(build, **placeholders)


@dataclass(frozen=True)
class Levels:
    """V1 as the access rule decided it for one calendar: the level of the appointments that book
    ``employee_id``'s person resource (``own``), and of all others."""

    others: str = Privacy.FULL
    own: str = Privacy.FULL
    employee_id: int | None = None

    def distinct(self) -> list[str]:
        return [self.others] if self.own == self.others or self.employee_id is None else [self.others, self.own]


def object_count(resource: Resource) -> int:
    return _active(resource).count()


def object_rows(resource: Resource, *, names: Sequence[str] | None = None, size: bool = False,
                modified: bool = False, data: bool = False, levels: Levels = Levels()) -> Iterator[ObjectRow]:
    """The calendar's objects (all; or those among ``names``) as ``ObjectRow`` tuples, at their level, in no order.

    One query (per 500 names), read in chunks of ``LISTING_CHUNK`` rows while the caller consumes
    them: memory does not grow with the calendar. Which appointments book the employee is decided
    in the same query (a subquery), never per object.

    No ORDER BY: neither a PROPFIND's members (RFC 4918 §9.1) nor a sync-collection's responses
    (RFC 6578 §3.2) have an order, and a multiget answers in the order of its hrefs. Sorting 10 000
    names cost PostgreSQL as much as joining them with their appointments (issue 13).
    """
    shape = _shape(size, modified, data, tuple(levels.distinct()))
    if names is None:
        qs = _select(_active(resource), shape, levels.employee_id)
        yield from _object_rows(qs.iterator(chunk_size=LISTING_CHUNK), shape)
        return
    names = list(dict.fromkeys(names))
    for i in range(0, len(names), _NAMES_PER_QUERY):
        chunk = names[i:i + _NAMES_PER_QUERY]
        if connection.vendor == "postgresql":  # one array parameter, one statement for any number of names
            rows = _names_read(shape).rows(resource=resource.pk, employee=levels.employee_id, names=chunk)
        elif len(chunk) > _COMPILED_NAMES:
            rows = _select(_active(resource).filter(name__in=chunk), shape, levels.employee_id)
        else:
            values = {f"name{j}": name for j, name in enumerate(chunk)}
            rows = _named_read(shape, len(chunk)).rows(resource=resource.pk, employee=levels.employee_id, **values)
        yield from _object_rows(rows, shape)


class _Shape(NamedTuple):
    """What an object read selects, and where each value is in its rows."""

    columns: tuple[str, ...]
    plans: tuple[tuple[bool, int, int | None], ...]  # per level: (redacted, ETag column, text column or None)
    size_at: int | None
    modified_at: int | None
    own_at: int | None  # "books the employee's person resource", when two levels apply
    data: bool


@functools.lru_cache(maxsize=64)
def _shape(size: bool, modified: bool, data: bool, levels: tuple[str, ...]) -> _Shape:
    columns = ["name"]

    def column(name: str) -> int:
        columns.append(name)
        return len(columns) - 1

    plans = []
    for level in levels:
        etag_column, text_column = _LEVEL_COLUMNS[level]
        redacted = level != Privacy.FULL
        plans.append((redacted, column(etag_column),
                      column(text_column) if data or (size and redacted) else None))
    size_at = column("appointment__size") if size else None
    modified_at = column("appointment__modified") if modified else None
    own_at = column("books_own") if len(plans) == 2 else None
    return _Shape(tuple(columns), tuple(plans), size_at, modified_at, own_at, data)


def _select(qs, shape: _Shape, employee_id: int | None, extra: tuple[str, ...] = ()):
    """``qs`` (bookings) as the rows of ``shape`` (then ``extra`` columns); which appointments book the
    employee is a subquery."""
    if shape.own_at is not None:
        qs = qs.annotate(books_own=Exists(Booking.objects.filter(
            appointment_id=OuterRef("appointment_id"), deleted_at__isnull=True, resource__kind=Resource.Kind.PERSON,
            resource__employee_id=employee_id)))
    return qs.values_list(*shape.columns, *extra)


_COMPILED_NAMES = 128  # a GET names one object, a client's multiget up to about a hundred


@functools.lru_cache(maxsize=64)
def _named_read(shape: _Shape, count: int) -> CompiledQuery:
    """The read of ``count`` named objects in ``shape``, compiled once per process (``compiled_query``).

    What a GET runs on every request, with only the calendar, the employee and the name changing:
    building the queryset was as costly as the query itself (issue 13). An unused employee
    placeholder (one level) is given to the SQL as nothing: the builder ignores it.
    """
    placeholders = {f"name{j}": str_placeholder(f"name{j}") for j in range(count)}
    placeholders["resource"] = int_placeholder(0)
    if shape.own_at is not None:
        placeholders["employee"] = int_placeholder(1)

    def build(resource, employee=None, **names):
        return _select(_active_in(resource).filter(name__in=list(names.values())), shape, employee)

    return CompiledQuery(build, **placeholders)


@functools.lru_cache(maxsize=64)
def _names_read(shape: _Shape) -> CompiledQuery:
    """PostgreSQL's read of named objects in ``shape``: the names as one array (``compiled_query.AnyOf``)."""
    placeholders = {"resource": int_placeholder(0), "names": [str_placeholder("names")]}
    if shape.own_at is not None:
        placeholders["employee"] = int_placeholder(1)

    def build(resource, names, employee=None):
        return _select(_active_in(resource).filter(name__any_of=names), shape, employee)

    return CompiledQuery(build, **placeholders)


def _object_rows(rows, shape: _Shape) -> Iterator[ObjectRow]:
    """``rows`` of ``shape`` as ``ObjectRow`` tuples, each at its level."""
    plans, own_at, size_at, modified_at, data = shape.plans, shape.own_at, shape.size_at, shape.modified_at, shape.data
    size = size_at is not None
    new = tuple.__new__  # ObjectRow(...) without the keyword handling: a third of the cost per row
    for row in rows:
        redacted, etag_at, text_at = plans[1] if own_at is not None and row[own_at] else plans[0]
        text = row[text_at] if text_at is not None else None
        length = None
        if size:
            length = len(text.encode("utf-8")) if redacted else row[size_at]
        yield new(ObjectRow, (row[0], row[etag_at], length, row[modified_at] if modified_at is not None else None,
                              text if data else None, redacted))


def appointments_booking_employee(appointment_ids, employee_id: int | None) -> set[int]:
    """Which of these appointments book a person resource of the employee (V1: those arrive complete).

    One query per 500 appointments (SQLite's parameter limit), never one per appointment.
    """
    ids = list(dict.fromkeys(appointment_ids))
    if employee_id is None or not ids:
        return set()
    found: set[int] = set()
    for i in range(0, len(ids), 500):
        found |= set(Booking.objects.filter(appointment_id__in=ids[i:i + 500], deleted_at__isnull=True,
                                            resource__kind=Resource.Kind.PERSON, resource__employee_id=employee_id)
                     .values_list("appointment_id", flat=True))
    return found


def uid_in_use(resource: Resource, uid: str, *, except_name: str | None = None) -> str | None:
    """The object name that already carries ``uid`` in this calendar (RFC 4791 §4.1), if any."""
    qs = _active(resource).filter(appointment__uid=uid)
    if except_name is not None:
        qs = qs.exclude(name=except_name)
    return qs.values_list("name", flat=True).first()


def changes_since(resource: Resource, revision: int, limit: int | None = None) -> list[dict]:
    """Change-log rows after ``revision``, oldest first (cost grows with the changes only)."""
    qs = (Change.objects.filter(resource=resource, revision__gt=revision).order_by("revision")
          .values("name", "op", "revision"))
    return list(qs[:limit] if limit else qs)

# --- The planner (issue 11) ------------------------------------------------------------------------


@dataclass
class PlannerEntry:
    """One occurrence drawn in the planner: in every column of the branch that its appointment books."""

    appointment: Appointment  # without its iCalendar text
    start: dt.datetime  # UTC
    end: dt.datetime
    resource_ids: list[int]


@dataclass
class PlannerConflict:
    """Two occurrences on one resource at overlapping times (P2), as the planner lists them."""

    resource: Resource
    first: PlannerEntry
    second: PlannerEntry

    @property
    def start(self) -> dt.datetime:
        return max(self.first.start, self.second.start)

    @property
    def end(self) -> dt.datetime:
        return min(self.first.end, self.second.end)


@dataclass
class PlannerFeed:
    resources: list[Resource]
    entries: list[PlannerEntry]
    bookings: dict[int, list[Booking]] = field(default_factory=dict)  # appointment id → its active bookings
    conflicts: list[PlannerConflict] = field(default_factory=list)


def planner_resources(branch: Branch) -> list[Resource]:
    """The planner's columns: the branch's active resources, people first, then rooms."""
    order = {Resource.Kind.PERSON: 0, Resource.Kind.LOCATION: 1}
    return sorted(Resource.objects.filter(branch=branch, active=True),
                  key=lambda r: (order.get(r.kind, 2), r.name.casefold(), r.pk))


# What the grid shows of an appointment: loading only these keeps the feed's cost per row small.
PLANNER_FIELDS = ("title", "notes", "place", "status", "all_day", "rrule", "source", "etag", "changed_by", "branch_id",
                  "has_conflict")


def planner_feed(branch: Branch, start: dt.datetime, end: dt.datetime) -> PlannerFeed:
    """Every occurrence in [start, end) on the branch's columns, in five queries whatever their number.

    Answered from the occurrence table (series expanded, EXDATEs honoured, moved instances at their
    new time, deleted appointments and removed bookings left out); only a series stored up to a
    horizon before ``end`` is expanded in Python past that horizon.
    """
    resources = planner_resources(branch)
    columns = [r.pk for r in resources]
    booked = Exists(Booking.objects.filter(appointment_id=OuterRef("appointment_id"), resource__in=columns,
                                           deleted_at__isnull=True))
    spans = list(Occurrence.objects
                 .filter(start__lt=end, appointment__deleted_at__isnull=True)
                 .filter(Q(end__gt=start) | Q(end=F("start"), start__gte=start))
                 .filter(booked).values_list("appointment_id", "start", "end"))
    appointments = Appointment.objects.only(*PLANNER_FIELDS).in_bulk({a for a, _s, _e in spans})
    entries = [PlannerEntry(appointments[a], s, e, []) for a, s, e in spans]
    entries += _past_horizon(columns, start, end)
    bookings: dict[int, list[Booking]] = {}
    for b in (Booking.objects.active().filter(appointment_id__in={e.appointment.pk for e in entries})
              .select_related("resource").only("appointment_id", "resource__name", "resource__slug").order_by("pk")):
        bookings.setdefault(b.appointment_id, []).append(b)
    shown = set(columns)
    for e in entries:
        e.resource_ids = [b.resource_id for b in bookings.get(e.appointment.pk, []) if b.resource_id in shown]
    entries.sort(key=lambda e: (e.start, e.appointment.pk))
    return PlannerFeed(resources, entries, bookings, planner_conflicts(entries, {r.pk: r for r in resources}))


def _past_horizon(columns: list[int], start: dt.datetime, end: dt.datetime) -> list[PlannerEntry]:
    """Instances after ``occurrences_until`` of the series whose rows stop before ``end`` (one query)."""
    out = []
    booked = Exists(Booking.objects.filter(appointment_id=OuterRef("pk"), resource__in=columns,
                                           deleted_at__isnull=True))
    late = (Appointment.objects.alive().filter(occurrences_until__lt=end).overlapping(start, end).filter(booked)
            .select_related("branch"))
    for appt in late:
        tz = zoneinfo.ZoneInfo(appt.timezone or appt.branch.timezone)
        for occ in ical.occurrences(ical.parse(appt.ical), max(start, appt.occurrences_until), end, tz):
            s, e = (ical.to_utc(v, tz) for v in ical.event_bounds(occ))
            if s >= appt.occurrences_until:
                out.append(PlannerEntry(appt, s, e, []))
    return out


def planner_conflicts(entries: list[PlannerEntry], resources: dict[int, Resource]) -> list[PlannerConflict]:
    """Double bookings among the drawn occurrences, per column, by a sweep over start times.

    Which appointments occupy a resource is the contract's rule (``blocks_resources``), the same
    one the writer applies to a single appointment.
    """
    per_resource: dict[int, list[PlannerEntry]] = {}
    for e in entries:
        if contract.blocks_resources(all_day=e.appointment.all_day, status=e.appointment.status):
            for rid in e.resource_ids:
                per_resource.setdefault(rid, []).append(e)
    found = []
    for rid, column in per_resource.items():
        running: list[PlannerEntry] = []
        for e in sorted(column, key=lambda x: (x.start, x.end)):
            running = [r for r in running if r.end > e.start]
            found += [PlannerConflict(resources[rid], r, e) for r in running if r.appointment.pk != e.appointment.pk]
            running.append(e)
    return sorted(found, key=lambda c: (c.start, c.resource.pk))
