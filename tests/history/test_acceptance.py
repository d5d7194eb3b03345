"""Issue 12 acceptance: an admin edit, a planner drag and a phone PUT make three history entries with the
right actor, door and field changes; restoring the first of them reaches the phone.

Real requests: the admin's change form and the planner's move endpoint through Django's test client,
the phone through the python ``caldav`` client against a live server.
"""

from __future__ import annotations

import datetime as dt
import json

import caldav
import pytest
from django.urls import reverse

from scheduler.models import Appointment, AppointmentVersion
from tests.caldav.conftest import PASSWORD

from .conftest import START, admin_form, build_world

pytestmark = pytest.mark.django_db(transaction=True)


def fields(version: AppointmentVersion) -> set[str]:
    return {c["field"] for c in version.changes}


def change(version: AppointmentVersion, name: str) -> dict:
    return next(c for c in version.changes if c["field"] == name)


def test_three_doors_three_entries_and_restore_reaches_the_phone(live_server, client):
    world = build_world()
    client.force_login(world.chef)

    # 1. the admin: a real POST of the change form
    url = reverse("admin:scheduler_appointment_change", args=[world.appt.pk])
    resp = client.post(url, admin_form(world, title="Sehtest mit Brille"), HTTP_USER_AGENT="Firefox/133")
    assert resp.status_code == 302, resp.context["adminform"].form.errors

    # 2. the planner: a drag one hour later (POST to the move endpoint with the grid's ETag)
    appt = Appointment.objects.get(pk=world.appt.pk)
    body = {"etag": appt.etag, "occurrence": appt.start.isoformat(), "start": "2026-11-24T11:00",
            "end": "2026-11-24T12:00"}
    resp = client.post(reverse("planner:move", args=[appt.pk]), json.dumps(body), content_type="application/json")
    assert resp.status_code == 200, resp.content

    # 3. Anna's phone: python caldav changes the title (a PUT of the whole object)
    dav = caldav.DAVClient(url=live_server.url + "/", username="anna-phone", password=PASSWORD)
    cal = dav.calendar(url=live_server.url + world.object_path.rsplit("/", 1)[0] + "/")
    event = cal.event_by_url(live_server.url + world.object_path)
    event.load()
    event.data = event.data.replace("SUMMARY:Sehtest mit Brille", "SUMMARY:Sehtest am Telefon")
    event.save()

    created, by_admin, by_planner, by_phone = world.versions()
    assert (created.door, created.action, created.actor_name) == ("system", "created", "")
    assert (by_admin.door, by_admin.user, by_admin.credential, by_admin.device) == ("admin", world.chef, None,
                                                                                   "Firefox/133")
    assert fields(by_admin) == {"title"}
    assert change(by_admin, "title") == {"field": "title", "old": "Sehtest", "new": "Sehtest mit Brille"}
    assert (by_planner.door, by_planner.user, by_planner.actor_name) == ("planner", world.chef, "chef")
    assert fields(by_planner) == {"start", "end"}
    assert dt.datetime.fromisoformat(change(by_planner, "start")["old"]) == START
    assert dt.datetime.fromisoformat(change(by_planner, "start")["new"]) == START + dt.timedelta(hours=1)
    assert (by_phone.door, by_phone.credential, by_phone.actor_name) == ("phone", world.phone, "anna-phone")
    assert by_phone.device.startswith("python caldav ")  # caldav_endpoint.user_agents names the client
    assert change(by_phone, "title") == {"field": "title", "old": "Sehtest mit Brille", "new": "Sehtest am Telefon"}
    appt.refresh_from_db()
    assert appt.changed_by == "CalDAV: anna-phone"  # "zuletzt geändert von" still works

    # the phone has synced this version; the admin restores the first of the three (the admin's)
    synced = cal.objects_by_sync_token(load_objects=False)
    phone_etag = appt.etag
    restore = reverse("admin:scheduler_appointment_restore_version", args=[appt.pk, by_admin.pk])
    resp = client.post(restore, {"etag": phone_etag})
    assert resp.status_code == 302
    restored = world.versions()[-1]
    assert (restored.door, restored.action, restored.restored_from) == ("admin", "changed", by_admin)
    assert fields(restored) == {"start", "end", "title"}

    # the phone: its next sync lists the object as changed, and GET returns the restored version
    changed = cal.objects_by_sync_token(sync_token=synced.sync_token, load_objects=False)
    assert [str(o.url).rsplit("/", 1)[1] for o in changed] == [world.object_path.rsplit("/", 1)[1]]
    response = dav.request(live_server.url + world.object_path, "GET")
    text = response.raw if isinstance(response.raw, str) else response.raw.decode()
    assert "SUMMARY:Sehtest mit Brille" in text and "DTSTART;TZID=Europe/Berlin:20261124T100000" in text
    appt.refresh_from_db()
    assert response.headers["ETag"] == f'"{appt.etag}"' != f'"{phone_etag}"'
