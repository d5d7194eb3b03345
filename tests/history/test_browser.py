"""The planner's popover lists who changed what and restores a version (issue 12), in Chromium."""

from __future__ import annotations

import pytest

from scheduler import services
from scheduler.models import Appointment, Door
from tests.conftest import log_in

from .conftest import build_world

pytestmark = pytest.mark.django_db(transaction=True)


def test_popover_lists_versions_and_restores_one(page, live_server):
    world = build_world()
    appt = Appointment.objects.get(pk=world.appt.pk)
    appt.start, appt.end = appt.start.replace(hour=11), appt.end.replace(hour=12)  # 12:00 in Berlin
    services.save_appointment(appt, actor=services.Actor(door=Door.ADMIN, user=world.chef))
    moved = Appointment.objects.get(pk=appt.pk)

    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.set_viewport_size({"width": 1280, "height": 1100})
    log_in(page, live_server, "chef", "Chef-Passwort-1")
    page.goto(f"{live_server.url}/admin/planner/?branch={world.branch.pk}&date=2026-11-24&view=day")
    page.wait_for_selector("body[data-planner-loads]")
    page.locator(f'.ec-event[data-appointment="{appt.pk}"]').first.click()
    versions = page.locator("#planner-popover-versions .planner-version")
    versions.first.wait_for()
    assert versions.count() == 2
    assert "chef · Verwaltung" in versions.nth(0).inner_text() and "Beginn, Ende" in versions.nth(0).inner_text()
    assert versions.nth(0).locator("button").count() == 0  # the current version
    versions.nth(1).locator("button.planner-version-restore").click()
    page.locator("#planner-ask-buttons button", has_text="Diese Version wiederherstellen").click()
    page.wait_for_selector("#planner-message.success")
    restored = Appointment.objects.get(pk=appt.pk)
    assert restored.start == world.appt.start and restored.etag != moved.etag
    assert list(restored.versions.values_list("door", flat=True)) == ["system", "admin", "planner"]
    assert violations == []
