"""``?include=ical`` in the REST API (issue 12, V1): the stored object carries the customer (title,
notes), so a user without "Kundendaten sehen" gets the object without customer data instead."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from scheduler import services
from scheduler.models import Appointment
from tests import factories as f

pytestmark = pytest.mark.django_db


def api_client(world, *, customer: bool) -> APIClient:
    user = f.user(f"api-{customer}", perms=None)
    perms = Permission.objects.filter(content_type__app_label__in=["scheduler", "branches"])
    if not customer:
        perms = perms.exclude(codename="view_customer_data")
    user.user_permissions.set(perms)
    user.managed_branches.set([world.branch])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def with_notes(world):
    appt = Appointment.objects.get(pk=world.appt.pk)
    appt.title, appt.notes = "", "Alte Brille mitbringen"
    services.save_appointment(appt)  # title: "Sehtest – Erika Mustermann"
    return Appointment.objects.get(pk=appt.pk)


@pytest.mark.parametrize("url", ["/api/appointments/{pk}/?include=ical", "/api/appointments/?include=ical",
                                 "/api/appointments/?include=ical&start=2026-11-01&end=2026-12-01"])
def test_without_the_permission_the_ical_has_no_customer(world, with_notes, url):
    resp = api_client(world, customer=False).get(url.format(pk=with_notes.pk), HTTP_ACCEPT="application/json")
    assert resp.status_code == 200
    body = resp.content.decode()
    assert "Mustermann" not in body and "040 123456" not in body
    data = resp.json()
    item = data if "id" in data else next(i for i in data.get("results", data) if i["id"] == with_notes.pk)
    assert item["ical"] == with_notes.ical_no_customer and "SUMMARY:Sehtest\r\n" in item["ical"]


def test_without_the_permission_in_xml_too(world, with_notes):
    resp = api_client(world, customer=False).get(f"/api/appointments/{with_notes.pk}/?include=ical&format=xml")
    assert resp.status_code == 200 and "Mustermann" not in resp.content.decode()


def test_with_the_permission_the_stored_object(world, with_notes):
    resp = api_client(world, customer=True).get(f"/api/appointments/{with_notes.pk}/?include=ical")
    assert resp.status_code == 200
    data = resp.json()
    assert data["ical"] == with_notes.ical and "Erika Mustermann" in data["ical"]
    assert data["customer_name"] == "Erika Mustermann"
