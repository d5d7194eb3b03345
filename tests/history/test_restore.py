""""Diese Version wiederherstellen" (issue 12): a CSRF-protected POST, with the change permission and the
branch scope, at the admin and in the planner; the version goes back through the writer as a new entry."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from scheduler import services
from scheduler.models import Appointment
from tests import factories as f
from tests.security.scope_world import branch_manager

pytestmark = pytest.mark.django_db


@pytest.fixture
def moved(world):
    """The world's appointment moved an hour later by the system: two versions."""
    appt = Appointment.objects.get(pk=world.appt.pk)
    appt.start, appt.end = appt.start.replace(hour=11), appt.end.replace(hour=12)
    services.save_appointment(appt)
    return Appointment.objects.get(pk=appt.pk)


def admin_restore_url(world, version) -> str:
    return reverse("admin:scheduler_appointment_restore_version", args=[world.appt.pk, version.pk])


def planner_restore_url(world, version) -> str:
    return reverse("planner:restore_version", args=[world.appt.pk, version.pk])


def viewer(world, *perms):
    """A branch manager of Hamburg with only the given appointment permissions."""
    user = branch_manager(world.branch, username="leitung-nur")
    user.groups.clear()
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="scheduler", codename__in=perms))
    return user


def test_admin_restore_writes_the_old_version_back(world, client, moved):
    client.force_login(world.chef)
    first = world.versions()[0]
    resp = client.post(admin_restore_url(world, first), {"etag": moved.etag}, follow=True)
    assert "wurde wiederhergestellt" in resp.content.decode()
    appt = Appointment.objects.get(pk=world.appt.pk)
    assert appt.start == world.appt.start and appt.etag != moved.etag
    entry = world.versions()[-1]
    assert (entry.door, entry.user, entry.restored_from) == ("admin", world.chef, first)
    assert appt.changes.filter(op="modified").count() == 4  # both calendars, the move and the restore


def test_admin_restore_with_a_stale_etag_changes_nothing(world, client, moved):
    client.force_login(world.chef)
    resp = client.post(admin_restore_url(world, world.versions()[0]), {"etag": world.appt.etag}, follow=True)
    assert "Der Termin wurde inzwischen geändert (z. B. am Telefon)." in resp.content.decode()
    assert Appointment.objects.get(pk=world.appt.pk).etag == moved.etag
    assert len(world.versions()) == 2


def test_admin_restore_is_post_only_and_csrf_protected(world, moved):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.chef)
    url = admin_restore_url(world, world.versions()[0])
    assert client.get(url).status_code == 405
    assert client.post(url, {"etag": moved.etag}).status_code == 403  # no CSRF token
    assert Appointment.objects.get(pk=world.appt.pk).etag == moved.etag


def test_admin_restore_needs_the_change_permission(world, client, moved):
    client.force_login(viewer(world, "view_appointment"))
    assert client.post(admin_restore_url(world, world.versions()[0]), {"etag": moved.etag}).status_code == 403
    assert Appointment.objects.get(pk=world.appt.pk).etag == moved.etag


def test_admin_restore_outside_the_branch_scope_does_not_exist(world, client, moved):
    other = f.branch("hl", name="Lübeck")
    client.force_login(branch_manager(other, username="leitung-hl"))
    assert client.post(admin_restore_url(world, world.versions()[0]), {"etag": moved.etag}).status_code == 404
    assert Appointment.objects.get(pk=world.appt.pk).etag == moved.etag


def test_a_version_of_another_appointment_is_not_found(world, client, moved):
    client.force_login(world.chef)
    stranger = f.appointment([world.room], title="Fremd", uid="fremd", start=moved.start.replace(hour=15))
    url = reverse("admin:scheduler_appointment_restore_version",
                  args=[world.appt.pk, stranger.versions.get().pk])
    assert client.post(url, {"etag": moved.etag}).status_code == 404


def test_planner_lists_versions_and_restores_one(world, client, moved):
    client.force_login(world.chef)
    data = client.get(reverse("planner:versions", args=[world.appt.pk])).json()
    assert [v["door"] for v in data["versions"]] == ["System", "System"]
    newest, first = data["versions"]
    assert newest["restoreUrl"] is None and first["restoreUrl"] == planner_restore_url(world, world.versions()[0])
    assert newest["summary"] == "Beginn, Ende"
    resp = client.post(first["restoreUrl"], json.dumps({"etag": moved.etag}), content_type="application/json")
    assert resp.status_code == 200, resp.content
    appt = Appointment.objects.get(pk=world.appt.pk)
    assert resp.json()["etag"] == appt.etag and appt.start == world.appt.start
    assert (world.versions()[-1].door, world.versions()[-1].user) == ("planner", world.chef)


def test_planner_restore_refuses_a_stale_etag(world, client, moved):
    client.force_login(world.chef)
    resp = client.post(planner_restore_url(world, world.versions()[0]), json.dumps({"etag": world.appt.etag}),
                       content_type="application/json")
    assert resp.status_code == 412
    assert Appointment.objects.get(pk=world.appt.pk).etag == moved.etag


def test_planner_restore_needs_the_change_permission_and_the_scope(world, client, moved):
    user = viewer(world, "view_appointment")
    client.force_login(user)
    url = planner_restore_url(world, world.versions()[0])
    data = client.get(reverse("planner:versions", args=[world.appt.pk])).json()
    assert all(v["restoreUrl"] is None for v in data["versions"])
    assert client.post(url, json.dumps({"etag": moved.etag}), content_type="application/json").status_code == 403
    client.force_login(branch_manager(f.branch("hl", name="Lübeck"), username="leitung-hl"))
    assert client.post(url, json.dumps({"etag": moved.etag}), content_type="application/json").status_code == 404
    assert client.get(reverse("planner:versions", args=[world.appt.pk])).status_code == 404
    assert Appointment.objects.get(pk=world.appt.pk).etag == moved.etag


def test_planner_restore_is_csrf_protected(world, moved):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.chef)
    resp = client.post(planner_restore_url(world, world.versions()[0]), json.dumps({"etag": moved.etag}),
                       content_type="application/json")
    assert resp.status_code == 403
