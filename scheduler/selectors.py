"""Reads without side effects, shared by the REST API, the admin and the planner.

Time ranges are answered like the CalDAV calendar-query: the time-range index
prefilters, the occurrence table decides in SQL, and only objects the table
does not cover for the range (an endless series queried past its horizon) are
expanded in Python, under the request's expansion budget.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

from django.db.models import F, Q

from branches.models import Branch

from . import contract, ical
from .models import Appointment, Booking, Occurrence, Resource, occurrence_annotations, overlap_q


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


def planner_feed(branch: Branch, start: dt.datetime, end: dt.datetime) -> PlannerFeed:
    """Every occurrence in [start, end) on the branch's columns, in four queries whatever their number.

    Answered from the occurrence table (series expanded, EXDATEs honoured, moved instances at their
    new time, deleted appointments and removed bookings left out); only a series stored up to a
    horizon before ``end`` is expanded in Python past that horizon.
    """
    resources = planner_resources(branch)
    columns = {r.pk for r in resources}
    booked = Booking.objects.active().filter(resource__in=columns).values("appointment_id")
    rows = (Occurrence.objects
            .filter(appointment_id__in=booked, start__lt=end)
            .filter(Q(end__gt=start) | Q(end=F("start"), start__gte=start))
            .filter(overlap_q(start, end, "appointment__"))
            .select_related("appointment").defer("appointment__ical").order_by("start", "appointment_id"))
    entries = [PlannerEntry(o.appointment, o.start, o.end, []) for o in rows]
    entries += _past_horizon(booked, start, end)
    ids = {e.appointment.pk for e in entries}
    bookings: dict[int, list[Booking]] = {}
    for b in Booking.objects.active().filter(appointment_id__in=ids).select_related("resource").order_by("pk"):
        bookings.setdefault(b.appointment_id, []).append(b)
    for e in entries:
        e.resource_ids = [b.resource_id for b in bookings.get(e.appointment.pk, []) if b.resource_id in columns]
    entries.sort(key=lambda e: (e.start, e.appointment.pk))
    by_pk = {r.pk: r for r in resources}
    return PlannerFeed(resources, entries, bookings, planner_conflicts(entries, by_pk))


def _past_horizon(booked, start: dt.datetime, end: dt.datetime) -> list[PlannerEntry]:
    """Instances after ``occurrences_until`` of the series whose rows stop before ``end`` (one query)."""
    out = []
    late = (Appointment.objects.alive().overlapping(start, end)
            .filter(pk__in=booked, occurrences_until__isnull=False, occurrences_until__lt=end)
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
