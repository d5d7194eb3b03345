"""Branch-scoped administration (B1): Hamburg's branch manager administers Hamburg, nothing else.

Lists, change pages, form choices, list filters and the credential's extra views ("Neues
Passwort vergeben", "Ressource spezifische URL", "Test") all ask ``branches.scope``; an object
of Lübeck does not exist for the Hamburg manager. A superuser sees everything.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from branches.scope import MANAGER_GROUP, USE_API, administered_branches
from scheduler.management.commands import loaddemo
from scheduler.models import Appointment, Change, Employee, Resource
from servicecreds.models import ServiceCredential
from tests import factories as f
from tests.caldav.conftest import PASSWORD
from tests.security.scope_world import World, branch_manager, build_world, superuser

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return build_world()


@pytest.fixture
def manager_client(client, world):
    client.force_login(branch_manager(world.hh))
    return client


def result_ids(client, model: str) -> set[int]:
    resp = client.get(f"/admin/{model}/")
    assert resp.status_code == 200
    return {obj.pk for obj in resp.context["cl"].result_list}


def choice_ids(client, url: str, field: str) -> set[int]:
    form = client.get(url).context["adminform"].form
    return set(form.fields[field].queryset.values_list("pk", flat=True))


def hamburg_sets(world: World) -> dict[str, set[int]]:
    hh = world.hh
    return {
        "scheduler/appointment": world.ids(world.hh_appts),
        "scheduler/resource": set(Resource.objects.filter(branch=hh).values_list("pk", flat=True)),
        "scheduler/employee": set(Employee.objects.filter(branch=hh).values_list("pk", flat=True)),
        "servicecreds/servicecredential": {world.dav.credential.pk},
        "scheduler/change": set(Change.objects.filter(resource__branch=hh).values_list("pk", flat=True)),
        "branches/branch": {hh.pk},
    }


def test_changelists_show_only_hamburg(manager_client, world):
    for model, ids in hamburg_sets(world).items():
        assert ids, model
        assert result_ids(manager_client, model) == ids, model
        body = manager_client.get(f"/admin/{model}/").content.decode()
        # not in the rows, not in the list filters either
        assert "Lübeck" not in body and "Clara" not in body and "clara-phone" not in body, model


def test_superuser_sees_everything(client, world):
    client.force_login(superuser())
    assert result_ids(client, "scheduler/appointment") == world.ids(world.hh_appts + world.hl_appts)
    assert result_ids(client, "servicecreds/servicecredential") == {world.dav.credential.pk, world.hl_cred.pk}
    assert result_ids(client, "branches/branch") == {world.hh.pk, world.hl.pk}
    assert result_ids(client, "scheduler/change") == set(Change.objects.values_list("pk", flat=True))
    lubeck = world.hl_appts[1]
    assert client.get(reverse("admin:scheduler_appointment_change", args=[lubeck.pk])).status_code == 200
    url = reverse("admin:servicecreds_servicecredential_password", args=[world.hl_cred.pk])
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("route", ["change", "delete", "history"])
def test_lubeck_appointment_pages_are_refused(manager_client, world, route):
    lubeck = world.hl_appts[1]
    url = reverse(f"admin:scheduler_appointment_{route}", args=[lubeck.pk])
    resp = manager_client.get(url)
    assert resp.status_code in (302, 404)
    if resp.status_code == 302:  # Django's answer for an object that does not exist
        assert resp["Location"] == reverse("admin:index")
    assert b"Kundendaten" not in resp.content
    manager_client.post(url, {"post": "yes", "title": "übernommen"})
    lubeck.refresh_from_db()
    assert lubeck.title == "Geheim Lübeck" and lubeck.deleted_at is None


def test_bulk_action_ignores_lubeck_ids(manager_client, world):
    lubeck, own = world.hl_appts[0], world.hh_appts[0]
    manager_client.post("/admin/scheduler/appointment/", {
        "action": "soft_delete", "_selected_action": [lubeck.pk, own.pk]})
    lubeck.refresh_from_db()
    assert lubeck.deleted_at is None


@pytest.mark.parametrize("model", ["scheduler/resource", "scheduler/employee", "servicecreds/servicecredential",
                                   "branches/branch"])
def test_lubeck_change_pages_are_refused(manager_client, world, model):
    obj = {"scheduler/resource": world.clara_person, "scheduler/employee": world.clara,
           "servicecreds/servicecredential": world.hl_cred, "branches/branch": world.hl}[model]
    resp = manager_client.get(f"/admin/{model}/{obj.pk}/change/")
    assert resp.status_code in (302, 404)
    assert "Clara" not in resp.content.decode()


def test_credential_extra_views_refuse_lubeck(manager_client, world):
    cred = world.hl_cred
    password_url = reverse("admin:servicecreds_servicecredential_password", args=[cred.pk])
    assert manager_client.get(password_url).status_code == 404
    resp = manager_client.post(password_url, {"password1": "Uebernommen-123", "password2": "Uebernommen-123"})
    assert resp.status_code == 404
    cred.refresh_from_db()
    assert cred.check_password(PASSWORD) and not cred.check_password("Uebernommen-123")
    assert manager_client.get(reverse("admin:servicecreds_servicecredential_url", args=[cred.pk])).status_code == 404
    resp = manager_client.post(reverse("admin:servicecreds_servicecredential_test", args=[cred.pk]),
                               {"resource": world.clara_person.slug})
    assert resp.status_code == 404
    # Hamburg's own credential still works for its manager
    own = world.dav.credential
    resp = manager_client.post(reverse("admin:servicecreds_servicecredential_test", args=[own.pk]),
                               {"resource": world.dav.person.slug})
    assert resp.json()["ok"] is True


def test_url_page_and_test_offer_only_resources_in_scope(manager_client, world):
    """Anna's calendar in Lübeck (a second person resource) is not the Hamburg manager's to see."""
    dav = world.dav
    lubeck_calendar = f.resource(world.hl, employee=dav.employee, name="Anna in Lübeck")
    url = reverse("admin:servicecreds_servicecredential_url", args=[dav.credential.pk])
    slugs = {c.resource.slug for c in manager_client.get(url).context["choices"]}
    assert dav.person.slug in slugs and lubeck_calendar.slug not in slugs
    resp = manager_client.post(reverse("admin:servicecreds_servicecredential_test", args=[dav.credential.pk]),
                               {"resource": lubeck_calendar.slug})
    assert resp.status_code == 400 and resp.json()["code"] == "unknown_resource"


def test_form_choices_are_limited_to_hamburg(manager_client, world):
    hh = world.hh
    hh_resources = set(Resource.objects.filter(branch=hh).values_list("pk", flat=True))
    hh_employees = set(Employee.objects.filter(branch=hh).values_list("pk", flat=True))
    hh_users = set(Employee.objects.filter(branch=hh).values_list("user", flat=True))
    add = "/admin/scheduler/appointment/add/"
    assert choice_ids(manager_client, add, "branch") == {hh.pk}
    assert choice_ids(manager_client, add, "booked_resources") == hh_resources
    change = reverse("admin:scheduler_appointment_change", args=[world.hh_appts[0].pk])
    assert choice_ids(manager_client, change, "booked_resources") == hh_resources
    assert choice_ids(manager_client, "/admin/scheduler/resource/add/", "branch") == {hh.pk}
    assert choice_ids(manager_client, "/admin/scheduler/resource/add/", "employee") == hh_employees
    assert choice_ids(manager_client, "/admin/scheduler/employee/add/", "branch") == {hh.pk}
    assert choice_ids(manager_client, "/admin/scheduler/employee/add/", "user") == hh_users
    assert choice_ids(manager_client, "/admin/servicecreds/servicecredential/add/", "branch") == {hh.pk}
    assert choice_ids(manager_client, "/admin/servicecreds/servicecredential/add/", "user") == hh_users


def test_posting_lubeck_choices_is_a_form_error(manager_client, world):
    before = (Appointment.objects.count(), Resource.objects.count(), ServiceCredential.objects.count())
    resp = manager_client.post("/admin/scheduler/appointment/add/", {
        "title": "x", "branch": world.hl.pk, "booked_resources": [world.dav.other_room.pk]})
    errors = resp.context["adminform"].form.errors
    assert "branch" in errors and "booked_resources" in errors
    resp = manager_client.post("/admin/scheduler/resource/add/", {
        "name": "Raum", "kind": "location", "branch": world.hl.pk, "color": "#000000"})
    assert "branch" in resp.context["adminform"].form.errors
    resp = manager_client.post("/admin/servicecreds/servicecredential/add/", {
        "access_type": "individual", "username": "clara-2", "user": world.clara.user.pk, "branch": world.hl.pk,
        "service_class": "caldav"})
    errors = resp.context["adminform"].form.errors
    assert "user" in errors and "branch" in errors
    assert (Appointment.objects.count(), Resource.objects.count(), ServiceCredential.objects.count()) == before


def test_manager_cannot_add_branches_or_choose_managers(manager_client, world):
    assert manager_client.get("/admin/branches/branch/add/").status_code == 403
    resp = manager_client.get(reverse("admin:branches_branch_change", args=[world.hh.pk]))
    assert resp.status_code == 200
    assert "managers" not in resp.context["adminform"].form.fields


def test_user_field_is_a_scoped_select_not_the_user_autocomplete(manager_client, world):
    body = manager_client.get("/admin/servicecreds/servicecredential/add/").content.decode()
    assert "admin-autocomplete" not in body
    assert world.clara.user.username not in body


def test_loaddemo_makes_hamburgs_branch_manager(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(loaddemo, "PASSWORD_FILE", tmp_path / "demo-password.txt")
    call_command("loaddemo", password="Demo-Passwort-42")
    assert "leitung-hh" in capsys.readouterr().out
    manager = get_user_model().objects.get(username="leitung-hh")
    assert manager.is_staff and not manager.is_superuser and manager.check_password("Demo-Passwort-42")
    assert manager.groups.filter(name=MANAGER_GROUP).exists() and manager.has_perm(USE_API)
    assert [b.code for b in administered_branches(manager)] == ["hh"]
