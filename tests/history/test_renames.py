"""Renaming an appointment type or a room changes what colleagues' phones receive (issue 12, V1): the
redacted objects are rebuilt through the writer, their ETags change and the change log tells the phones.
The appointment itself did not change, so its history gets no entry. A room leaving the appointment
(a phone's DELETE in the room calendar) changes the room list the same way."""

from __future__ import annotations

import pytest

from scheduler import services
from scheduler.models import Appointment, Change

pytestmark = pytest.mark.django_db


def state(world):
    appt = Appointment.objects.get(pk=world.appt.pk)
    return appt, Change.objects.filter(appointment=appt).count()


def test_renamed_type_rebuilds_the_redacted_objects(world):
    before, changes = state(world)
    world.sehtest.name = "Augenprüfung"
    world.sehtest.save()
    after, changes_after = state(world)
    assert "SUMMARY:Augenprüfung" in after.ical_no_customer and after.etag_no_customer != before.etag_no_customer
    assert after.etag == before.etag and after.ical == before.ical  # the stored object is the same
    assert changes_after == changes + 2  # modified in both calendars (Anna's and the room)
    assert len(world.versions()) == 1


def test_renamed_room_rebuilds_the_redacted_objects(world):
    before, changes = state(world)
    world.room.name = "Refraktion 2"
    world.room.save()
    after, changes_after = state(world)
    assert "LOCATION:Refraktion 2" in after.ical_no_customer and after.etag_no_customer != before.etag_no_customer
    assert changes_after == changes + 2


def test_saving_without_a_rename_announces_nothing(world):
    _, changes = state(world)
    world.room.color = "#112233"
    world.room.save()
    world.sehtest.duration_minutes = 45
    world.sehtest.save()
    assert state(world)[1] == changes


def test_renamed_person_resource_is_no_room(world):
    _, changes = state(world)
    world.anna_cal.name = "Anna B."
    world.anna_cal.save()
    assert state(world)[1] == changes


def test_a_room_leaving_the_appointment_leaves_the_redacted_objects(world):
    before, _ = state(world)
    assert "LOCATION:Refraktionsraum" in before.ical_no_customer
    services.remove_booking(world.appt.bookings.get(resource=world.room))
    after, _ = state(world)
    assert "Refraktionsraum" not in after.ical_no_customer and after.etag_no_customer != before.etag_no_customer
    ops = list(Change.objects.filter(appointment=after).order_by("pk").values_list("resource", "op"))[-2:]
    assert ops == [(world.room.pk, "deleted"), (world.anna_cal.pk, "modified")]
