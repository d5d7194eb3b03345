"""Privacy on phones (V1): Hamburg with Anna and Ben (each a person calendar and a phone), one room."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from scheduler.models import Appointment, AppointmentType, Employee, Resource
from servicecreds.models import ServiceCredential
from tests import factories as f
from tests.caldav.conftest import fast_hasher, make_credential  # noqa: F401  (autouse: cheap hashes)


@dataclass
class World:
    branch: object
    anna: Employee
    ben: Employee
    anna_cal: Resource
    ben_cal: Resource
    room: Resource
    anna_phone: ServiceCredential
    ben_phone: ServiceCredential
    sehtest: AppointmentType
    appt: Appointment  # Anna's eye test with Erika Mustermann in the room

    def path(self, username: str, resource: Resource, name: str = "") -> str:
        return f"/caldav/{username}/{resource.slug}/{name}"

    @property
    def name(self) -> str:
        return self.appt.bookings.get(resource=self.room).name


@pytest.fixture
def world(db) -> World:
    branch = f.branch("hh", name="Hamburg")  # default level: "Ohne Kundendaten"
    anna = f.employee(branch, display_name="Anna Becker")
    ben = f.employee(branch, display_name="Ben Schulz")
    anna_cal = f.resource(employee=anna, name="Anna Becker")
    ben_cal = f.resource(employee=ben, name="Ben Schulz")
    room = f.room(branch, name="Refraktionsraum")
    sehtest = AppointmentType.objects.create(branch=branch, name="Sehtest", duration_minutes=30)
    appt = f.appointment([anna_cal, room], uid="erika-1", title="", appointment_type=sehtest,
                         customer_name="Erika Mustermann", customer_phone="040 123456", customer_number="K-4711",
                         notes="Mustermann bringt die alte Brille mit", place="Mustermanns Wunsch: Fensterplatz",
                         start=dt.datetime(2026, 11, 24, 10, 0, tzinfo=f.BERLIN))
    return World(branch, anna, ben, anna_cal, ben_cal, room, make_credential(anna.user, branch, "anna-phone"),
                 make_credential(ben.user, branch, "ben-phone"), sehtest, appt)
