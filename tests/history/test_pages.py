"""The history on the appointment's admin page and on "Änderungsverlauf" (issue 12): a readable table
(Zeit, Wer, Weg, Änderungen) with "Diese Version wiederherstellen"; customer values only for users
with "Kundendaten sehen" (V1)."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from lxml import html

from scheduler import services
from scheduler.models import Appointment, Door
from tests.security.scope_world import branch_manager

pytestmark = pytest.mark.django_db


@pytest.fixture
def edited(world):
    """The admin renamed the customer, the planner moved it: three entries."""
    appt = Appointment.objects.get(pk=world.appt.pk)
    appt.customer_name, appt.title = "Max Muster", ""
    services.save_appointment(appt, actor=services.Actor(door=Door.ADMIN, user=world.chef, device="Firefox/133"))
    appt.start, appt.end = appt.start.replace(hour=12), appt.end.replace(hour=13)
    services.save_appointment(appt, actor=services.Actor(door=Door.PLANNER, user=world.chef))
    return Appointment.objects.get(pk=appt.pk)


def rows(resp) -> list[list[str]]:
    doc = html.fromstring(resp.content.decode())
    table = doc.get_element_by_id("appointment-history")
    return [[" ".join(td.text_content().split()) for td in tr.findall("td")]
            for tr in table.findall(".//tbody/tr")]


def headers(resp) -> list[str]:
    doc = html.fromstring(resp.content.decode())
    return [th.text_content().strip() for th in doc.get_element_by_id("appointment-history").findall(".//th")]


def test_change_page_shows_the_history_table(world, client, edited):
    client.force_login(world.chef)
    resp = client.get(reverse("admin:scheduler_appointment_change", args=[world.appt.pk]))
    assert resp.status_code == 200
    assert headers(resp)[:4] == ["Zeit", "Wer", "Weg", "Änderungen"]
    newest, by_admin, created = rows(resp)
    assert newest[1] == "chef" and newest[2] == "Terminplaner"
    assert "Beginn: 24. November 2026 10:00 → 24. November 2026 13:00" in newest[3]
    assert by_admin[1] == "chef" and by_admin[2] == "Verwaltung"  # a browser's User-Agent is kept, not shown
    assert "Kunde: Erika Mustermann → Max Muster" in by_admin[3]
    assert "Titel: Sehtest → Sehtest – Max Muster" in by_admin[3]
    assert created[1] == "System" and created[2] == "System" and "angelegt" in created[3]
    assert "Titel: SehtestStatus: bestätigt" in created[3] and "Ressourcen: Anna Becker, Refraktionsraum" in created[3]
    # every version but the current one can be restored, each with its own CSRF-protected form
    doc = html.fromstring(resp.content.decode())
    forms = doc.get_element_by_id("appointment-history").findall(".//form")
    assert len(forms) == 2 and all(f.get("method") == "post" for f in forms)
    assert all(f.find(".//input[@name='csrfmiddlewaretoken']") is not None for f in forms)
    assert forms[0].find(".//input[@name='etag']").get("value") == edited.etag
    assert "Diese Version wiederherstellen" in resp.content.decode()


def test_history_page_lists_the_entries(world, client, edited):
    client.force_login(world.chef)
    resp = client.get(reverse("admin:scheduler_appointment_history", args=[world.appt.pk]))
    assert resp.status_code == 200
    assert len(rows(resp)) == 3


def test_english_labels(world, client, edited):
    client.force_login(world.chef)
    resp = client.get(reverse("admin:scheduler_appointment_change", args=[world.appt.pk]),
                      HTTP_ACCEPT_LANGUAGE="en")
    assert resp.status_code == 200 and len(rows(resp)) == 3


def test_customer_values_are_hidden_without_the_customer_permission(world, client, edited):
    user = branch_manager(world.branch, username="leitung-hh")  # the manager group has no "Kundendaten sehen"
    client.force_login(user)
    resp = client.get(reverse("admin:scheduler_appointment_change", args=[world.appt.pk]))
    assert resp.status_code == 200
    text = json.dumps(rows(resp), ensure_ascii=False)
    assert "Mustermann" not in text and "Max Muster" not in text and "040 123456" not in text
    assert "Kunde: … → …" in text and "Titel: Sehtest → Sehtest – …" in text
    data = client.get(reverse("planner:versions", args=[world.appt.pk])).json()
    assert "Muster" not in json.dumps(data)


def test_a_viewer_without_change_permission_gets_no_restore_buttons(world, client, edited):
    user = branch_manager(world.branch, username="leser")
    user.groups.clear()
    user.user_permissions.set(Permission.objects.filter(codename="view_appointment"))
    client.force_login(user)
    resp = client.get(reverse("admin:scheduler_appointment_change", args=[world.appt.pk]))
    assert resp.status_code == 200 and len(rows(resp)) == 3
    assert "Diese Version wiederherstellen" not in resp.content.decode()


def test_planner_page_knows_the_versions_url(world, client):
    client.force_login(world.chef)
    resp = client.get(reverse("planner:page") + f"?branch={world.branch.pk}")
    config = json.loads(html.fromstring(resp.content.decode()).get_element_by_id("planner-config").text)
    assert config["versionsUrl"] == reverse("planner:versions", args=[0])
    assert config["texts"]["restoreVersion"] == "Diese Version wiederherstellen"
