"""Issue 13, PUT ≤ 15 ms: the writer's SQL for one object, counted (speed itself is the benchmark's).

A phone's PUT with If-Match is one transaction: the calendar locked once, the appointment's
bookings found with the object name in one query, the appointment row locked and read once,
one conflict read by the time index (with the bookings of what it finds, by key), the row
written, the occurrences replaced in one statement each when the time changed (a series with
the same index bounds: read and found equal; a single event with the same bounds: kept unread),
one change-log row, one sync-revision bump and one history entry. Nothing written is read back:
the ETag comes from the bytes.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from scheduler import services
from scheduler.exceptions import DoesNotExist
from scheduler.models import Appointment, AppointmentType, Booking, Change, Occurrence, Resource
from tests import factories as f

from .conftest import obj, vcalendar, vevent


def statements(queries) -> list[str]:
    """Each statement's kind and main table, e.g. ``SELECT scheduler_booking`` (savepoints as they are).

    The main table is the one outside parentheses: a subquery's table is not the statement's."""
    out = []
    for q in queries.captured_queries:
        sql = q["sql"]
        word = sql.split(None, 1)[0].upper()
        top, nested = sql, None
        while nested != top:
            nested, top = top, re.sub(r"\([^()]*\)", "", top)
        match = re.search(r'(?:FROM|INTO|UPDATE) "(\w+)"', top)
        out.append(f"{word} {match.group(1)}" if match else word)
    return out


def put(resource, name: str, text: str, **kw):
    return services.store_object(resource, name, text, branch=resource.branch, **kw)


@pytest.mark.django_db
def test_put_with_if_match_is_a_fixed_small_number_of_queries(calendars):
    anna, _ben = calendars
    appt, created = put(anna, "a.ics", obj("a@test"))
    put(anna, "b.ics", obj("b@test", "20261201T103000Z", "20261201T113000Z"))  # overlaps: the conflict read finds it
    anna = Resource.objects.select_related("branch").get(pk=anna.pk)
    occurrence_ids = list(Occurrence.objects.filter(appointment=appt).values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as queries:
        stored, created = put(anna, "a.ics", obj("a@test", summary="Sehtest (verlegt)"), if_match=f'"{appt.etag}"')
    assert not created and stored.has_conflict
    assert statements(queries) == [
        "SAVEPOINT",                               # the transaction (a savepoint inside the test's)
        "SELECT scheduler_resource",               # the calendar locked, once
        "SELECT scheduler_booking",                # the appointment's bookings, found by the object name
        "SELECT scheduler_appointment",            # the appointment row locked and read, once
        "SELECT scheduler_occurrence",             # double bookings: the time index, with the candidates' bookings
        "UPDATE scheduler_appointment",            # same bounds, a single event before and after: rows kept, unread
        "INSERT scheduler_change",
        "UPDATE scheduler_resource",               # sync_revision, without reading it again
        "INSERT scheduler_appointmentversion",
        "RELEASE",
    ], [q["sql"][:120] for q in queries.captured_queries]
    stored_row = Appointment.objects.get(pk=appt.pk)
    assert stored.etag == stored_row.etag  # the ETag returned is the one stored, computed, not re-read
    assert Change.objects.filter(resource=anna).count() == 3
    assert list(Occurrence.objects.filter(appointment=appt).values_list("pk", flat=True)) == occurrence_ids


@pytest.mark.django_db
def test_put_that_moves_the_appointment_rewrites_its_occurrences_without_reading_them(calendars):
    anna, _ben = calendars
    appt, _ = put(anna, "a.ics", obj("a@test"))
    with CaptureQueriesContext(connection) as queries:
        put(anna, "a.ics", obj("a@test", "20261202T100000Z", "20261202T113000Z"), if_match=f'"{appt.etag}"')
    kinds = statements(queries)
    assert kinds.count("SELECT scheduler_occurrence") == 1  # the conflict read only: other bounds, other spans
    assert kinds[kinds.index("UPDATE scheduler_appointment") + 1:][:2] == [
        "DELETE scheduler_occurrence", "INSERT scheduler_occurrence"]
    assert list(Occurrence.objects.filter(appointment=appt).values_list("start", "end")) == [
        (dt.datetime(2026, 12, 2, 10, tzinfo=dt.UTC), dt.datetime(2026, 12, 2, 11, 30, tzinfo=dt.UTC))]


@pytest.mark.django_db
def test_put_that_drops_one_instance_of_a_series_rewrites_its_occurrences(calendars):
    anna, _ben = calendars
    appt, _ = put(anna, "s.ics", obj("s@test", extra="RRULE:FREQ=WEEKLY;COUNT=5\n"))
    stored, _ = put(anna, "s.ics", obj("s@test", extra="RRULE:FREQ=WEEKLY;COUNT=5\nEXDATE:20261215T100000Z\n"),
                    if_match=f'"{appt.etag}"')
    assert (stored.first_start, stored.last_end) == (appt.first_start, appt.last_end)  # same bounds, read to compare
    starts = [s.day for s in Occurrence.objects.filter(appointment=appt).order_by("start").values_list("start",
                                                                                                        flat=True)]
    assert starts == [1, 8, 22, 29]


@pytest.mark.django_db
@pytest.mark.parametrize("before", ["RRULE:FREQ=DAILY;COUNT=1\n", "rrule:FREQ=DAILY;COUNT=1\n",
                                    "RDATE:20261201T100000Z\n"])
def test_a_series_that_becomes_a_single_event_with_the_same_bounds_is_read_to_compare(calendars, before):
    """Only a single event before and after keeps its rows unread: a one-instance series (any case of the
    property name) or an RDATE that repeats DTSTART has the same bounds, and its rows are read first."""
    anna, _ben = calendars
    appt, _ = put(anna, "s.ics", obj("s@test", extra=before))
    with CaptureQueriesContext(connection) as queries:
        stored, _ = put(anna, "s.ics", obj("s@test", summary="Einzeln"), if_match=f'"{appt.etag}"')
    assert (stored.first_start, stored.last_end) == (appt.first_start, appt.last_end)
    assert statements(queries).count("SELECT scheduler_occurrence") == 2  # the conflict read, then the compare
    assert list(Occurrence.objects.filter(appointment=appt).values_list("start", "end")) == [
        (dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC), dt.datetime(2026, 12, 1, 11, tzinfo=dt.UTC))]


@pytest.mark.django_db
def test_put_of_a_weekly_series_writes_its_occurrences_in_one_statement(calendars):
    anna, _ben = calendars
    appt, _ = put(anna, "s.ics", obj("s@test", extra="RRULE:FREQ=WEEKLY;COUNT=52\n"))
    with CaptureQueriesContext(connection) as queries:
        put(anna, "s.ics", obj("s@test", summary="Teamrunde", extra="RRULE:FREQ=WEEKLY;COUNT=60\n"),
            if_match=f'"{appt.etag}"')
    kinds = statements(queries)
    assert kinds.count("INSERT scheduler_occurrence") == 1
    assert appt.occurrences.count() == 60
    assert len(kinds) == 12  # a longer series (other bounds): no read of its occurrences, one delete, one insert


@pytest.mark.django_db
def test_put_creating_an_object(calendars):
    anna, _ben = calendars
    with CaptureQueriesContext(connection) as queries:
        put(anna, "n.ics", obj("n@test"), if_none_match="*")
    assert statements(queries) == [
        "SAVEPOINT", "SELECT scheduler_resource", "SELECT scheduler_booking",
        "SELECT scheduler_booking",                # the UID free in this calendar
        "SELECT scheduler_occurrence",
        "INSERT scheduler_appointment", "INSERT scheduler_occurrence", "INSERT scheduler_booking",
        "INSERT scheduler_change", "UPDATE scheduler_resource", "INSERT scheduler_appointmentversion", "RELEASE",
    ], [q["sql"][:120] for q in queries.captured_queries]


@pytest.mark.django_db
def test_modelled_update_locks_each_row_once(calendars):
    anna, ben = calendars
    appt = f.appointment([anna])
    appt = Appointment.objects.get(pk=appt.pk)
    appt.title = "Hörtest"
    with CaptureQueriesContext(connection) as queries:
        services.save_appointment(appt, resources=[anna, ben], if_match=appt.etag)
    kinds = statements(queries)
    assert kinds.count("SELECT scheduler_resource") == 1  # both calendars locked together, in key order
    assert kinds.count("SELECT scheduler_appointment") == 1
    assert kinds.count("INSERT scheduler_change") == 1
    assert len(kinds) <= 17, kinds
    assert set(Booking.objects.filter(appointment=appt, deleted_at__isnull=True)
               .values_list("resource_id", flat=True)) == {anna.pk, ben.pk}


@pytest.mark.django_db
def test_put_on_an_appointment_of_two_calendars_locks_the_other_one_too(calendars):
    anna, ben = calendars
    appt = f.appointment([anna, ben], uid="two@test")
    name = Booking.objects.get(appointment=appt, resource=anna).name
    text = vcalendar(vevent("two@test", "20261124T090000Z", "20261124T100000Z", "Sehtest neu"))
    with CaptureQueriesContext(connection) as queries:
        stored, _ = put(anna, name, text, if_match=f'"{appt.etag}"')
    kinds = statements(queries)
    assert kinds.count("SELECT scheduler_resource") == 2  # Anna's first (the PUT's), then Ben's
    assert kinds.count("SELECT scheduler_booking") in (2, 3)  # read again under Ben's lock
    assert sorted(Change.objects.filter(appointment=appt, op="modified").values_list("resource_id", flat=True)) \
        == sorted([anna.pk, ben.pk])
    assert stored.title == "Sehtest neu"


@pytest.mark.django_db(transaction=True)
def test_the_locked_row_is_the_appointment_with_its_branch_and_type_as_the_orm_reads_them():
    """``_relock`` reads the row with a compiled statement; what it builds must be what ``select_related``
    builds: every column, the branch and the type cached (no query on access), None for no type."""
    room = f.resource(kind=Resource.Kind.LOCATION)
    typed = f.appointment([room], appointment_type=AppointmentType.objects.create(
        branch=room.branch, name="Sehtest", duration_minutes=60))
    plain = f.appointment([room], start=dt.datetime(2026, 11, 25, 10, tzinfo=dt.timezone.utc))
    for appt in (typed, plain):
        with transaction.atomic():
            locked = services._relock(Appointment(pk=appt.pk), None)
            orm = Appointment.objects.select_related("branch", "appointment_type").get(pk=appt.pk)
            with CaptureQueriesContext(connection) as queries:
                branch, kind = locked.branch, locked.appointment_type
            assert not queries.captured_queries
        fields = Appointment._meta.concrete_fields
        assert [getattr(locked, f.attname) for f in fields] == [getattr(orm, f.attname) for f in fields]
        assert [getattr(branch, f.attname) for f in branch._meta.concrete_fields] == [
            getattr(orm.branch, f.attname) for f in orm.branch._meta.concrete_fields]
        assert (kind and kind.name) == (orm.appointment_type and orm.appointment_type.name)
        assert not locked._state.adding and locked._state.db == "default"
    assert typed.appointment_type_id and not plain.appointment_type_id
    with transaction.atomic(), pytest.raises(DoesNotExist):
        services._relock(Appointment(pk=plain.pk + 1000), None)
