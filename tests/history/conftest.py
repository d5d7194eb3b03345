"""Who changed what (issue 12): Hamburg with Anna (her calendar and phone), a room, an eye-test type,
a superuser "chef" and one appointment of Anna's in the room, created by the system."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model

from branches.models import Privacy
from scheduler.models import Appointment, AppointmentType, AppointmentVersion, Resource
from servicecreds.models import ServiceCredential
from tests import factories as f
from tests.caldav.conftest import fast_hasher, make_credential  # noqa: F401  (autouse: cheap hashes)

START = dt.datetime(2026, 11, 24, 10, 0, tzinfo=f.BERLIN)


@dataclass
class World:
    branch: object
    anna_cal: Resource
    room: Resource
    phone: ServiceCredential
    sehtest: AppointmentType
    chef: object
    appt: Appointment

    @property
    def object_path(self) -> str:
        return f"/caldav/{self.phone.username}/{self.anna_cal.slug}/{self.appt.bookings.get(resource=self.anna_cal).name}"

    def versions(self) -> list[AppointmentVersion]:
        return list(AppointmentVersion.objects.filter(appointment=self.appt).order_by("pk"))


def build_world() -> World:
    branch = f.branch("hh", name="Hamburg", privacy=Privacy.NO_CUSTOMER)
    anna = f.employee(branch, display_name="Anna Becker")
    anna_cal = f.resource(employee=anna, name="Anna Becker")
    room = f.room(branch, name="Refraktionsraum")
    sehtest = AppointmentType.objects.create(branch=branch, name="Sehtest", duration_minutes=60)
    chef = get_user_model().objects.create_superuser("chef", "chef@example.com", "Chef-Passwort-1")
    appt = f.appointment([anna_cal, room], uid="hist-1", title="Sehtest", appointment_type=sehtest,
                         customer_name="Erika Mustermann", customer_phone="040 123456", start=START)
    return World(branch, anna_cal, room, make_credential(anna.user, branch, "anna-phone"), sehtest, chef, appt)


@pytest.fixture
def world(db) -> World:
    return build_world()


def admin_form(world: World, **over) -> dict:
    """What the admin change form posts for the world's appointment (the raw-rule variant, no picker)."""
    appt = Appointment.objects.get(pk=world.appt.pk)
    local_start, local_end = appt.start.astimezone(f.BERLIN), appt.end.astimezone(f.BERLIN)
    data = {
        "title": appt.title, "appointment_type": appt.appointment_type_id or "", "branch": appt.branch_id,
        "booked_resources": list(appt.bookings.filter(deleted_at__isnull=True).values_list("resource_id", flat=True)),
        "customer_name": appt.customer_name, "customer_phone": appt.customer_phone,
        "customer_number": appt.customer_number,
        "start_0": local_start.strftime("%d.%m.%Y"), "start_1": local_start.strftime("%H:%M:%S"),
        "end_0": local_end.strftime("%d.%m.%Y"), "end_1": local_end.strftime("%H:%M:%S"),
        "timezone": appt.timezone, "rrule": appt.rrule, "status": appt.status, "place": appt.place,
        "notes": appt.notes, "version": appt.etag,
    }
    data.update(over)
    return data
