"""The per-resource change log: the basis of sync tokens and ETags (issue 2, D6)."""

import datetime as dt

import pytest

from scheduler import services
from scheduler.models import Appointment, Change
from tests import factories as f

pytestmark = pytest.mark.django_db


def ops(resource):
    return list(Change.objects.filter(resource=resource).order_by("revision").values_list("revision", "op"))


def test_create_modify_delete_logged_per_resource_with_increasing_revisions():
    emp_res, room = f.resource(employee=f.employee()), f.room()
    appt = f.appointment([emp_res, room])
    appt.title = "Neuer Titel"
    services.save_appointment(appt)
    services.delete_appointment(appt)
    for res in (emp_res, room):
        assert ops(res) == [(1, "created"), (2, "modified"), (3, "deleted")]
        res.refresh_from_db()
        assert res.sync_revision == 3
    assert Appointment.objects.get(pk=appt.pk).deleted_at is not None


def test_move_between_resources_is_delete_there_and_create_here():
    a, b = f.room(), f.room()
    appt = f.appointment([a])
    services.save_appointment(appt, resources=[b])
    assert ops(a) == [(1, "created"), (2, "deleted")]
    assert ops(b) == [(1, "created")]
    assert list(appt.bookings.filter(deleted_at__isnull=True).values_list("resource", flat=True)) == [b.pk]


def test_revisions_are_per_resource_and_restore_logs_creation():
    a, b = f.room(), f.room()
    one = f.appointment([a])
    f.appointment([a, b])
    services.delete_appointment(one)
    services.restore_appointment(one)
    assert [r for r, _ in ops(a)] == [1, 2, 3, 4]
    assert ops(a)[-1] == (4, "created")
    assert [r for r, _ in ops(b)] == [1]


def test_stale_etag_changes_nothing():
    res = f.room()
    appt = f.appointment([res])
    appt.title = "x"
    with pytest.raises(services.PreconditionFailed):
        services.save_appointment(appt, if_match='"stale"')
    assert Appointment.objects.get(pk=appt.pk).title == "Sehtest"
    assert ops(res) == [(1, "created")]


def test_remove_booking_keeps_other_calendars_and_soft_deletes_when_last():
    a, b = f.room(), f.room()
    appt = f.appointment([a, b])
    services.remove_booking(appt.bookings.get(resource=a))
    appt.refresh_from_db()
    assert appt.deleted_at is None
    assert ops(a)[-1][1] == "deleted"
    services.remove_booking(appt.bookings.get(resource=b))
    appt.refresh_from_db()
    assert appt.deleted_at is not None  # S7: kept for restore


def test_same_uid_in_two_calendars_but_not_twice_in_one():
    a, b = f.room(), f.room()
    appt = f.appointment([a, b], uid="shared@x")
    assert appt.bookings.count() == 2
    with pytest.raises(services.UidConflict):
        f.appointment([a], uid="shared@x", start=dt.datetime(2026, 1, 1, 10, tzinfo=f.BERLIN))


def test_restore_after_phone_deleted_the_last_booking_brings_it_back_to_that_calendar():
    a, b = f.room(), f.room()
    appt = f.appointment([a, b])
    services.remove_booking(appt.bookings.get(resource=a))  # deleted on one phone: stays deleted there
    services.remove_booking(appt.bookings.get(resource=b))  # the last one: the appointment goes too
    appt.refresh_from_db()
    services.restore_appointment(appt)
    appt.refresh_from_db()
    assert appt.deleted_at is None
    assert list(appt.bookings.filter(deleted_at__isnull=True).values_list("resource", flat=True)) == [b.pk]
    assert ops(b)[-1][1] == "created" and ops(a)[-1][1] == "deleted"
