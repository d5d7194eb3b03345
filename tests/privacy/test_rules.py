"""V1: the privacy rule (servicecreds.access), the redaction (scheduler.redaction), the title default and
the customer fields in the REST API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from branches.models import Privacy
from scheduler import ical, services
from scheduler.models import Appointment
from scheduler.redaction import redact
from servicecreds import access
from tests import factories as f

RICH = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Apple Inc.//iOS 17//EN\r\nX-WR-CALNAME:Mustermann\r\n"
    "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\n"
    "TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n"
    "END:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:rich-1\r\nDTSTAMP:20261101T000000Z\r\nSEQUENCE:2\r\n"
    "DTSTART;TZID=Europe/Berlin;X-NOTE=Mustermann:20261124T100000\r\nDTEND;TZID=Europe/Berlin:20261124T110000\r\n"
    "RRULE:FREQ=WEEKLY;COUNT=4\r\nEXDATE;TZID=Europe/Berlin:20261201T100000\r\n"
    "SUMMARY:Sehtest – Erika Mustermann\r\nDESCRIPTION:Mustermann, Tel. 040 123456\r\nLOCATION:Fensterplatz\r\n"
    "ATTENDEE;CN=Erika Mustermann:mailto:erika@example.com\r\nORGANIZER:mailto:anna@example.com\r\n"
    "CONTACT:Erika Mustermann\r\nCOMMENT:Mustermann\r\nURL:https://example.com/kunde/4711\r\n"
    "ATTACH:https://example.com/rezept.pdf\r\nX-CUSTOMER:Mustermann\r\nSTATUS:CONFIRMED\r\nTRANSP:OPAQUE\r\n"
    "BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Mustermann anrufen\r\nTRIGGER:-PT15M\r\nEND:VALARM\r\n"
    "END:VEVENT\r\nBEGIN:VEVENT\r\nUID:rich-1\r\nDTSTAMP:20261101T000000Z\r\n"
    "RECURRENCE-ID;TZID=Europe/Berlin:20261208T100000\r\nDTSTART;TZID=Europe/Berlin:20261209T100000\r\n"
    "DTEND;TZID=Europe/Berlin:20261209T110000\r\nSUMMARY:Mustermann (verschoben)\r\nEND:VEVENT\r\n"
    "END:VCALENDAR\r\n")


def test_no_customer_keeps_times_type_and_room_only():
    out = redact(RICH, Privacy.NO_CUSTOMER, type_name="Sehtest", room_name="Refraktionsraum")
    assert "Mustermann" not in out and "040 123456" not in out and "example.com" not in out
    for kept in ("UID:rich-1", "DTSTAMP:20261101T000000Z", "SEQUENCE:2", "RRULE:FREQ=WEEKLY;COUNT=4",
                 "EXDATE;TZID=Europe/Berlin:20261201T100000", "RECURRENCE-ID;TZID=Europe/Berlin:20261208T100000",
                 "DTSTART;TZID=Europe/Berlin:20261124T100000", "STATUS:CONFIRMED", "TRANSP:OPAQUE",
                 "BEGIN:VTIMEZONE", "SUMMARY:Sehtest", "LOCATION:Refraktionsraum"):
        assert kept in out, kept
    assert out.count("SUMMARY:Sehtest\r\n") == 2  # the moved instance too
    for dropped in ("DESCRIPTION", "ATTENDEE", "ORGANIZER", "CONTACT", "COMMENT", "URL", "ATTACH", "X-", "VALARM"):
        assert dropped not in out, dropped
    # the same input gives the same bytes: stored ETags stay valid
    assert out == redact(RICH, Privacy.NO_CUSTOMER, type_name="Sehtest", room_name="Refraktionsraum")
    # a redacted object is itself a valid object of one series
    assert len(ical.events(ical.parse(out))) == 2


def test_no_customer_without_type_says_termin():
    out = redact(RICH, Privacy.NO_CUSTOMER, type_name="", room_name="")
    assert "SUMMARY:Termin\r\n" in out and "LOCATION" not in out


def test_busy_keeps_times_only():
    out = redact(RICH, Privacy.BUSY, type_name="Sehtest", room_name="Refraktionsraum")
    assert "SUMMARY:Belegt" in out and "CLASS:CONFIDENTIAL" in out
    assert "Sehtest" not in out and "Refraktionsraum" not in out and "Mustermann" not in out
    assert "RRULE:FREQ=WEEKLY;COUNT=4" in out and "DTEND;TZID=Europe/Berlin:20261124T110000" in out


def test_full_is_the_stored_object_byte_for_byte():
    assert redact(RICH, Privacy.FULL, type_name="Sehtest", room_name="Refraktionsraum") == RICH


@pytest.mark.django_db
def test_privacy_rule_with_reasons():
    from tests.caldav.conftest import make_credential

    branch = f.branch("hh", name="Hamburg")
    anna = f.employee(branch)
    own = f.resource(employee=anna)
    room = f.room(branch)
    cred = make_credential(anna.user, branch)
    assert access.privacy_for(cred, own, books_own_employee=False).code == "own_calendar"
    mine = access.privacy_for(cred, room, books_own_employee=True)
    assert (mine.level, mine.code, mine.redacted) == (Privacy.FULL, "own_appointment", False)
    other = access.privacy_for(cred, room, books_own_employee=False)
    assert (other.level, other.code, other.redacted) == (Privacy.NO_CUSTOMER, "level_no_customer", True)
    assert "ohne Kundendaten" in other.message
    room.privacy = Privacy.BUSY
    assert access.privacy_for(cred, room, books_own_employee=False).code == "level_busy"
    room.privacy, branch.privacy = "", Privacy.FULL
    assert access.calendar_privacy(cred, room).redacted is False


@pytest.mark.django_db
def test_title_defaults_to_type_and_customer():
    from scheduler.models import AppointmentType

    branch = f.branch("hh")
    room = f.room(branch)
    hoertest = AppointmentType.objects.create(branch=branch, name="Hörtest", duration_minutes=45)
    appt = f.appointment([room], title="", appointment_type=hoertest, customer_name="Erika Mustermann")
    assert appt.title == "Hörtest – Erika Mustermann" and "SUMMARY:Hörtest – Erika Mustermann" in appt.ical
    assert f.appointment([room], title="", appointment_type=hoertest,
                         start=dt.datetime(2026, 12, 1, 9, tzinfo=f.BERLIN)).title == "Hörtest"
    assert f.appointment([room], title="Inventur", customer_name="X",
                         start=dt.datetime(2026, 12, 2, 9, tzinfo=f.BERLIN)).title == "Inventur"


@pytest.mark.django_db
def test_a_type_of_another_branch_is_refused():
    from scheduler.exceptions import TypeOfOtherBranch
    from scheduler.models import AppointmentType

    room = f.room(f.branch("hh"))
    foreign = AppointmentType.objects.create(branch=f.branch("hl"), name="Sehtest")
    with pytest.raises(TypeOfOtherBranch):
        f.appointment([room], appointment_type=foreign)


@pytest.mark.django_db
def test_phone_objects_keep_their_title(client):
    branch = f.branch("hh")
    room = f.room(branch)
    text = RICH.replace("SUMMARY:Sehtest – Erika Mustermann", "SUMMARY:Vom Telefon")
    appt = services.create_appointment(branch=branch, resources=[room], ical_text=text,
                                       customer_name="Erika Mustermann")
    assert appt.title == "Vom Telefon" and appt.ical == text


def api_client(branch, *, customer: bool) -> APIClient:
    user = f.user(perms=None)
    perms = Permission.objects.filter(content_type__app_label__in=["scheduler", "branches"])
    if not customer:
        perms = perms.exclude(codename="view_customer_data")
    user.user_permissions.set(perms)
    user.managed_branches.set([branch])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_api_customer_fields_only_with_permission(fmt):
    branch = f.branch("hh")
    room = f.room(branch)
    appt = f.appointment([room], title="Sehtest", customer_name="Erika Mustermann", customer_number="K-4711")
    accept = {"HTTP_ACCEPT": "application/xml" if fmt == "xml" else "application/json"}
    without = api_client(branch, customer=False)
    for url in (f"/api/appointments/{appt.pk}/", "/api/appointments/"):
        resp = without.get(url, **accept)
        assert resp.status_code == 200
        assert b"Mustermann" not in resp.content and b"K-4711" not in resp.content
        assert b"customer_" not in resp.content
    with_perm = api_client(branch, customer=True)
    resp = with_perm.get(f"/api/appointments/{appt.pk}/", **accept)
    assert b"Erika Mustermann" in resp.content and b"K-4711" in resp.content


@pytest.mark.django_db
def test_api_without_permission_cannot_write_customer_fields():
    branch = f.branch("hh")
    room = f.room(branch)
    appt = f.appointment([room], title="Sehtest", customer_name="Erika Mustermann")
    resp = api_client(branch, customer=False).patch(f"/api/appointments/{appt.pk}/",
                                                    {"customer_name": "Jemand"}, format="json")
    assert resp.status_code == 200
    assert Appointment.objects.get(pk=appt.pk).customer_name == "Erika Mustermann"


@pytest.mark.django_db
def test_api_creates_with_type_and_customer_and_default_title():
    from scheduler.models import AppointmentType

    branch = f.branch("hh")
    room = f.room(branch)
    sehtest = AppointmentType.objects.create(branch=branch, name="Sehtest")
    resp = api_client(branch, customer=True).post("/api/appointments/", {
        "branch": branch.pk, "resources": [room.pk], "appointment_type": sehtest.pk,
        "customer_name": "Erika Mustermann", "start": "2026-12-01T10:00:00+01:00",
        "end": "2026-12-01T10:30:00+01:00"}, format="json")
    assert resp.status_code == 201, resp.content
    assert resp.json()["title"] == "Sehtest – Erika Mustermann"
    appt = Appointment.objects.get(pk=resp.json()["id"])
    assert "Mustermann" not in appt.ical_no_customer and "SUMMARY:Sehtest" in appt.ical_no_customer


@pytest.mark.django_db
def test_api_without_permission_does_not_see_the_customer_in_the_default_title():
    from scheduler.models import AppointmentType

    branch = f.branch("hh")
    room = f.room(branch)
    sehtest = AppointmentType.objects.create(branch=branch, name="Sehtest")
    appt = f.appointment([room], title="", appointment_type=sehtest, customer_name="Erika Mustermann")
    resp = api_client(branch, customer=False).get(f"/api/appointments/{appt.pk}/")
    assert resp.json()["title"] == "Sehtest" and b"Mustermann" not in resp.content
