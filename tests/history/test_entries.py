"""Every door leaves a history entry with its actor, door and field changes, written by the writer
(issue 12): the API, a phone's DELETE, deletion and restore at the admin, the planner and the API,
and the system for writes without an actor."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Permission
from django.db import transaction
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from scheduler import history, services
from scheduler.exceptions import BookingConflict
from scheduler.models import Appointment, AppointmentVersion, Door
from tests import factories as f
from tests.caldav.conftest import request as dav_request

pytestmark = pytest.mark.django_db


def last(world) -> AppointmentVersion:
    return world.versions()[-1]


@pytest.fixture
def api(world):
    user = f.user("integration", perms=None)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["scheduler", "branches"]))
    user.managed_branches.set([world.branch])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    client.user = user
    return client


def test_created_entry_lists_what_the_appointment_has(world):
    (created,) = world.versions()
    assert (created.action, created.door, created.user, created.credential) == ("created", Door.SYSTEM, None, None)
    by_field = {c["field"]: c for c in created.changes}
    assert by_field["title"] == {"field": "title", "old": None, "new": "Sehtest"}
    assert by_field["resources"]["new"] == ["Anna Becker", "Refraktionsraum"]
    assert by_field["appointment_type"]["new"] == "Sehtest"
    assert by_field["customer_name"]["new"] == "Erika Mustermann"
    assert "rrule" not in by_field and "notes" not in by_field  # empty at creation: not listed
    snap = created.snapshot
    assert snap["ical"] == world.appt.ical and [r["id"] for r in snap["resources"]] == sorted(
        [world.anna_cal.pk, world.room.pk])


def test_saving_without_a_change_leaves_no_entry(world):
    appt = Appointment.objects.get(pk=world.appt.pk)
    services.save_appointment(appt)
    assert len(world.versions()) == 1


def test_a_refused_write_leaves_no_entry(world):
    other = f.appointment([world.room], title="Belegt", start=world.appt.start, uid="other")
    with pytest.raises(BookingConflict):
        services.save_appointment(other, resources=[world.room, world.anna_cal], on_conflict=services.REFUSE)
    assert len(AppointmentVersion.objects.filter(appointment=other)) == 1  # only its creation


def test_history_is_written_in_the_writers_transaction(world):
    appt = Appointment.objects.get(pk=world.appt.pk)
    appt.title = "wird zurückgerollt"
    with pytest.raises(RuntimeError), transaction.atomic():
        services.save_appointment(appt)
        raise RuntimeError
    assert len(world.versions()) == 1


def test_api_patch_records_the_tokens_user_and_door_api(world, api):
    appt = world.appt
    resp = api.patch(f"/api/appointments/{appt.pk}/", {"title": "Per API", "customer_name": "Max Muster"},
                     format="json", HTTP_USER_AGENT="Warenwirtschaft/2.1")
    assert resp.status_code == 200, resp.content
    entry = last(world)
    assert (entry.door, entry.user, entry.actor_name, entry.device) == ("api", api.user, "integration",
                                                                       "Warenwirtschaft/2.1")
    assert {c["field"] for c in entry.changes} == {"title", "customer_name"}
    assert Appointment.objects.get(pk=appt.pk).changed_by == "API: integration"


def test_api_delete_and_restore_are_entries(world, api):
    pk = world.appt.pk
    assert api.delete(f"/api/appointments/{pk}/").status_code == 204
    assert api.post(f"/api/appointments/{pk}/restore/").status_code == 200
    deleted, restored = world.versions()[-2:]
    assert (deleted.action, deleted.door, deleted.user) == ("deleted", "api", api.user)
    assert deleted.snapshot["deleted"] is True and deleted.snapshot["ical"]  # the content stays restorable
    assert (restored.action, restored.door) == ("restored", "api")


def test_admin_delete_and_restore_action_are_entries(world, client):
    client.force_login(world.chef)
    pk = world.appt.pk
    resp = client.post(reverse("admin:scheduler_appointment_delete", args=[pk]), {"post": "yes"})
    assert resp.status_code == 302
    resp = client.post(reverse("admin:scheduler_appointment_changelist"),
                       {"action": "restore", "_selected_action": [pk]})
    assert resp.status_code == 302
    deleted, restored = world.versions()[-2:]
    assert (deleted.action, deleted.door, deleted.user) == ("deleted", "admin", world.chef)
    assert (restored.action, restored.door, restored.user) == ("restored", "admin", world.chef)


def test_planner_delete_is_an_entry(world, client):
    client.force_login(world.chef)
    resp = client.post(reverse("planner:delete", args=[world.appt.pk]), json.dumps({"etag": world.appt.etag}),
                       content_type="application/json")
    assert resp.status_code == 200, resp.content
    assert (last(world).action, last(world).door, last(world).user) == ("deleted", "planner", world.chef)


def test_phone_delete_of_one_booking_is_a_change_of_resources_then_a_deletion(world, client):
    room_cred = f.employee(world.branch).user
    assert dav_request(client, "DELETE", world.object_path, user="anna-phone",
                       **{"User-Agent": "DAVx5/4.4 (Android 14)"}).status_code == 204
    entry = last(world)
    assert (entry.action, entry.door, entry.credential, entry.device) == ("changed", "phone", world.phone,
                                                                         "DAVx5 4.4")  # the readable name
    assert entry.changes == [{"field": "resources", "old": ["Anna Becker", "Refraktionsraum"],
                              "new": ["Refraktionsraum"]}]
    assert Appointment.objects.get(pk=world.appt.pk).changed_by == "CalDAV: anna-phone"
    booking = world.appt.bookings.get(resource=world.room)
    services.remove_booking(booking, actor=services.Actor(door=Door.SYSTEM, user=room_cred))
    entry = last(world)
    assert (entry.action, entry.door, entry.actor_name) == ("deleted", "system", room_cred.username)


def test_writes_without_an_actor_are_system_and_keep_changed_by(world):
    appt = Appointment.objects.get(pk=world.appt.pk)
    appt.notes = "Brille mitbringen"
    services.save_appointment(appt, changed_by="Import: Altsystem")
    entry = last(world)
    assert (entry.door, entry.actor_name, entry.changes) == ("system", "", [
        {"field": "notes", "old": "", "new": "Brille mitbringen"}])
    assert Appointment.objects.get(pk=appt.pk).changed_by == "Import: Altsystem"
    services.save_appointment(appt, ical_text=appt.ical.replace("SEQUENCE:", "X-FOO:bar\r\nSEQUENCE:"),
                              actor=services.Actor(door=Door.IMPORT))
    assert (last(world).door, last(world).changes) == ("import", [{"field": "ical", "old": None, "new": None}])


def test_restoring_a_version_leaves_out_a_deleted_type_and_brings_back_customer_and_resources(world):
    first = world.versions()[0]
    appt = Appointment.objects.get(pk=world.appt.pk)
    appt.customer_name, appt.appointment_type = "", None
    services.save_appointment(appt, resources=[world.anna_cal])
    appt = services.restore_version(first, actor=services.Actor(door=Door.ADMIN, user=world.chef))
    appt.refresh_from_db()
    assert (appt.customer_name, appt.appointment_type) == ("Erika Mustermann", world.sehtest)
    assert set(appt.bookings.filter(deleted_at__isnull=True).values_list("resource", flat=True)) == {
        world.anna_cal.pk, world.room.pk}
    assert last(world).restored_from == first
    assert "SEQUENCE:" in appt.ical and history.restorable(first, appt.ical).ical != first.snapshot["ical"]


def test_restoring_a_version_of_a_deleted_appointment_brings_it_back(world):
    first = world.versions()[0]
    services.delete_appointment(world.appt)
    appt = services.restore_version(first)
    assert appt.deleted_at is None
    assert [v.action for v in world.versions()] == ["created", "deleted", "restored", "changed"]
    assert world.versions()[-1].restored_from == first
