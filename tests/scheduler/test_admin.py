"""The Terminplaner admin renders and saves through the one writer path (issue 2)."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from scheduler.models import Appointment, Change
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = get_user_model().objects.create_superuser("chef", "chef@example.com", "x")
    client.force_login(admin)
    return client


def form_data(branch, resources, **over):
    data = {
        "title": "Hörtest", "branch": branch.pk, "booked_resources": [r.pk for r in resources],
        "start_0": "24.11.2026", "start_1": "10:00:00", "end_0": "24.11.2026", "end_1": "11:00:00",
        "timezone": "Europe/Berlin", "rrule": "", "status": "CONFIRMED", "place": "", "notes": "",
    }
    data.update(over)
    return data


@pytest.mark.parametrize("model", ["branches/branch", "scheduler/employee", "scheduler/resource",
                                   "scheduler/appointment", "scheduler/change"])
def test_changelists_render_in_german(admin_client, model):
    emp = f.employee()
    room = f.room(emp.branch, name="Refraktionsraum")
    f.appointment([f.resource(employee=emp), room])
    resp = admin_client.get(f"/admin/{model}/")
    assert resp.status_code == 200
    assert 'lang="de"' in resp.content.decode()


def test_admin_index_is_german_and_english_is_available(admin_client):
    resp = admin_client.get("/admin/")
    assert "Terminplaner" in resp.content.decode() and "Ressourcen" in resp.content.decode()
    resp = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en")
    body = resp.content.decode()
    assert 'lang="en"' in body
    assert "Resources" in body and "Appointments" in body and "Ressourcen" not in body


def test_appointment_add_edit_delete_writes_change_log_for_both_resources(admin_client):
    emp = f.employee()
    person, room = f.resource(employee=emp), f.room(emp.branch)
    resp = admin_client.post("/admin/scheduler/appointment/add/", form_data(emp.branch, [person, room]))
    assert resp.status_code == 302, resp.content.decode()[:3000]
    appt = Appointment.objects.get(title="Hörtest")
    assert appt.start == dt.datetime(2026, 11, 24, 9, tzinfo=dt.timezone.utc)
    assert appt.source == "scheduler"
    url = reverse("admin:scheduler_appointment_change", args=[appt.pk])
    assert admin_client.get(url).status_code == 200
    resp = admin_client.post(url, form_data(emp.branch, [person, room], title="Hörtest (2)"))
    assert resp.status_code == 302
    appt.refresh_from_db()
    assert appt.title == "Hörtest (2)" and "SUMMARY:Hörtest (2)" in appt.ical
    resp = admin_client.post(reverse("admin:scheduler_appointment_delete", args=[appt.pk]), {"post": "yes"})
    assert resp.status_code == 302
    appt.refresh_from_db()
    assert appt.deleted_at is not None  # soft (S7)
    for res in (person, room):
        assert list(Change.objects.filter(resource=res).values_list("op", flat=True)) == [
            "created", "modified", "deleted"]


def test_appointment_form_validation_errors_store_nothing(admin_client):
    emp = f.employee()
    room = f.room(emp.branch)
    resp = admin_client.post("/admin/scheduler/appointment/add/",
                             form_data(emp.branch, [room], end_1="09:00:00"))
    assert resp.status_code == 200
    assert "Das Ende muss nach dem Beginn liegen." in resp.content.decode()
    resp = admin_client.post("/admin/scheduler/appointment/add/", form_data(emp.branch, []))
    assert resp.status_code == 200
    assert "booked_resources" in resp.context["adminform"].form.errors
    resp = admin_client.post("/admin/scheduler/appointment/add/",
                             form_data(emp.branch, [room], rrule="FREQ=SOMETIMES"))
    assert "rrule" in resp.context["adminform"].form.errors
    assert Appointment.objects.count() == 0
    assert Change.objects.count() == 0


def test_all_day_appointment_snaps_to_dates(admin_client):
    emp = f.employee()
    room = f.room(emp.branch)
    resp = admin_client.post("/admin/scheduler/appointment/add/", form_data(
        emp.branch, [room], all_day="on", start_1="00:00:00", end_0="25.11.2026", end_1="00:00:00"))
    assert resp.status_code == 302
    appt = Appointment.objects.get()
    assert "DTSTART;VALUE=DATE:20261124" in appt.ical and "DTEND;VALUE=DATE:20261125" in appt.ical


def test_restore_action(admin_client):
    room = f.room()
    appt = f.appointment([room])
    admin_client.post(reverse("admin:scheduler_appointment_delete", args=[appt.pk]), {"post": "yes"})
    resp = admin_client.post("/admin/scheduler/appointment/", {
        "action": "restore", "_selected_action": [appt.pk]})
    assert resp.status_code == 302
    appt.refresh_from_db()
    assert appt.deleted_at is None
    assert list(Change.objects.filter(resource=room).values_list("op", flat=True)) == [
        "created", "deleted", "created"]


def test_resource_admin_clears_legacy_google_id(admin_client):
    res = f.resource(legacy_calendar_id="old@gmail.com")
    resp = admin_client.post("/admin/scheduler/resource/", {
        "action": "clear_legacy_calendar_id", "_selected_action": [res.pk]})
    assert resp.status_code == 302
    res.refresh_from_db()
    assert res.legacy_calendar_id == ""


def test_resource_admin_refuses_employee_on_location(admin_client):
    emp = f.employee()
    resp = admin_client.post("/admin/scheduler/resource/add/", {
        "name": "Raum X", "kind": "location", "branch": emp.branch.pk, "employee": emp.pk,
        "color": "#112233", "active": "on"})
    assert resp.status_code == 200
    assert "Eine Ortsressource hat keinen Mitarbeiter." in resp.content.decode()
