"""Every write carries its precondition: the admin form never silently reverts a phone's change (S6, D5)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from scheduler.models import Appointment
from tests import factories as f
from tests.caldav.conftest import event
from tests.caldav.conftest import request as dav_request

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def form_from_page(resp) -> dict:
    """The values the change page was drawn with, as the browser would post them back."""
    form = resp.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        if name in ("start", "end") and isinstance(value, list):  # re-shown form: the posted parts
            data[f"{name}_0"], data[f"{name}_1"] = value
        elif name in ("start", "end"):
            local = value.astimezone(f.BERLIN)
            data[f"{name}_0"], data[f"{name}_1"] = local.strftime("%d.%m.%Y"), local.strftime("%H:%M:%S")
        elif isinstance(value, list):
            data[name] = value
        else:
            data[name] = "on" if value is True else value
    return data


def test_phone_change_between_form_load_and_save_is_not_overwritten(dav, client):
    # the phone creates it, the admin opens it, the phone changes it, the admin saves
    assert dav_request(client, "PUT", dav.path(dav.person, "e.ics"), event(uid="e-1", summary="Sehtest"),
                       content_type="text/calendar").status_code == 201
    appt = Appointment.objects.get(uid="e-1")
    admin = get_user_model().objects.create_superuser("chef", "chef@example.com", "x")
    client.force_login(admin)
    url = f"/admin/scheduler/appointment/{appt.pk}/change/"
    data = form_from_page(client.get(url))
    assert data["version"] == appt.etag
    phone = event(uid="e-1", summary="Sehtest (vom Telefon verschoben)", start="20261124T140000", end="20261124T150000")
    assert dav_request(client, "PUT", dav.path(dav.person, "e.ics"), phone, content_type="text/calendar",
                       user="anna-phone", HTTP_IF_MATCH=f'"{appt.etag}"').status_code == 204
    phone_state = Appointment.objects.get(pk=appt.pk)

    data["title"] = "Sehtest (Admin)"
    resp = client.post(url, data)
    assert resp.status_code == 200  # shown again, not saved
    errors = " ".join(resp.context["adminform"].form.non_field_errors())
    assert "inzwischen geändert" in errors and "vom Telefon verschoben" in errors  # the current version is shown
    stored = Appointment.objects.get(pk=appt.pk)
    assert (stored.etag, stored.title, stored.ical) == (phone_state.etag, phone_state.title, phone_state.ical)

    # saving again applies the form's values onto the phone's version, knowingly (the admin saw it above)
    again = form_from_page(resp)
    assert again["version"] == phone_state.etag
    assert client.post(url, again).status_code == 302
    stored = Appointment.objects.get(pk=appt.pk)
    assert stored.title == "Sehtest (Admin)" and stored.changed_by == "chef"
    assert "SUMMARY:Sehtest (Admin)" in stored.ical and "DTSTAMP:20261101T000000Z" in stored.ical


def test_admin_save_of_an_appointment_deleted_on_the_phone_does_not_resurrect_it(dav, client):
    assert dav_request(client, "PUT", dav.path(dav.person, "d.ics"), event(uid="d-1"),
                       content_type="text/calendar").status_code == 201
    appt = Appointment.objects.get(uid="d-1")
    admin = get_user_model().objects.create_superuser("chef", "chef@example.com", "x")
    client.force_login(admin)
    url = f"/admin/scheduler/appointment/{appt.pk}/change/"
    data = form_from_page(client.get(url))
    assert dav_request(client, "DELETE", dav.path(dav.person, "d.ics")).status_code == 204
    resp = client.post(url, data)
    assert resp.status_code == 200 and "gelöscht" in " ".join(resp.context["adminform"].form.non_field_errors())
    assert Appointment.objects.get(pk=appt.pk).deleted_at is not None
