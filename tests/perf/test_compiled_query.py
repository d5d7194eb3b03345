"""``scheduler.compiled_query``: a statement compiled once gives what the queryset itself gives (issue 13)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Count, Exists, OuterRef
from django.test.utils import CaptureQueriesContext

from scheduler.compiled_query import CompiledQuery, int_placeholder, str_placeholder
from scheduler.models import Appointment, Booking
from tests import factories as f


def bookings_of(resource, name):
    return (Booking.objects.filter(resource_id=resource, name=name)
            .annotate(others=Count("appointment__bookings"),
                      later=Exists(Appointment.objects.filter(pk=OuterRef("appointment_id"), deleted_at__isnull=True)))
            .values_list("later", "name", "appointment__modified", "others"))


@pytest.mark.django_db
def test_rows_equal_values_list_with_converters_and_annotation_order():
    """Annotations come last in the SQL but where ``values_list`` names them; ``modified`` is an aware
    datetime on SQLite too (Django's converters), booleans are booleans."""
    a, b = f.appointment([f.resource()], uid="cq-a"), f.appointment([f.resource()], uid="cq-b")
    compiled = CompiledQuery(bookings_of, resource=int_placeholder(0), name=str_placeholder("name"))
    for appt in (a, b):
        booking = Booking.objects.get(appointment=appt)
        expected = list(bookings_of(booking.resource_id, booking.name))
        got = compiled.rows(resource=booking.resource_id, name=booking.name)
        assert [tuple(r) for r in got] == expected
        assert got[0][2].tzinfo is not None and isinstance(got[0][0], bool)
    assert compiled.rows(resource=a.pk + 10_000, name="nothing") == []


@pytest.mark.django_db
def test_compiled_once_then_one_query_per_call():
    compiled = CompiledQuery(lambda pk: Appointment.objects.filter(pk=pk).values_list("uid"), pk=int_placeholder(0))
    appt = f.appointment([f.resource()], uid="cq-once")
    compiled.rows(pk=appt.pk)
    statement = compiled.statement()
    with CaptureQueriesContext(connection) as queries:
        assert compiled.rows(pk=appt.pk) == [("cq-once",)]
    assert len(queries) == 1 and compiled.statement() is statement


def test_a_placeholder_the_query_ignores_is_an_error():
    compiled = CompiledQuery(lambda pk, name: Appointment.objects.filter(pk=pk).values_list("uid"),
                             pk=int_placeholder(0), name=str_placeholder("name"))
    with pytest.raises(ValueError, match="name"):
        compiled.statement()


@pytest.mark.django_db
def test_instances_are_what_a_queryset_loads():
    from scheduler.compiled_query import columns, instances
    from scheduler.models import Resource

    resource = f.resource()
    read = CompiledQuery(lambda pk: Resource.objects.filter(pk=pk).values_list(*columns(Resource)),
                         pk=int_placeholder(0))
    [loaded] = instances(Resource, read.rows(pk=resource.pk))
    expected = Resource.objects.get(pk=resource.pk)
    assert [getattr(loaded, c) for c in columns(Resource)] == [getattr(expected, c) for c in columns(Resource)]
    assert not loaded._state.adding and loaded._state.db == "default"


@pytest.mark.django_db
def test_time_placeholders_are_found_and_filled_as_the_backend_adapts_times():
    """SQLite passes times as text, PostgreSQL as timestamps: either way the compiled read selects what
    the queryset selects, for each call's instants (the week query, ``selectors.object_rows_in_range``)."""
    import datetime as dt

    from scheduler.compiled_query import datetime_placeholder

    resource = f.resource()
    start = dt.datetime(2026, 11, 23, 9, tzinfo=f.BERLIN)
    for hour in range(6):
        f.appointment([resource], uid=f"cq-t{hour}", start=start + dt.timedelta(hours=hour))

    def between(lo, hi):
        return Appointment.objects.filter(start__gte=lo, start__lt=hi).order_by("uid").values_list("uid")

    compiled = CompiledQuery(between, lo=datetime_placeholder(0), hi=datetime_placeholder(1))
    for lo, hi in [(1, 3), (0, 6), (4, 40), (7, 9)]:
        lo_t, hi_t = start + dt.timedelta(hours=lo), start + dt.timedelta(hours=hi)
        assert [tuple(r) for r in compiled.rows(lo=lo_t, hi=hi_t)] == list(between(lo_t, hi_t))
    assert [r[0] for r in compiled.rows(lo=start, hi=start + dt.timedelta(hours=2))] == ["cq-t0", "cq-t1"]
