"""The pages work in a real browser under the Content-Security-Policy: no violation is reported."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from tests.caldav.conftest import build_setup
from tests.conftest import log_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("counting_hasher")]


@pytest.fixture
def violations(page):
    """Chromium reports every blocked script, handler, style or source on the console."""
    seen: list[str] = []
    page.on("console", lambda msg: seen.append(msg.text) if "Content Security Policy" in msg.text else None)
    return seen


def test_admin_login_changelist_and_url_page(page, live_server, violations):
    setup = build_setup()
    get_user_model().objects.create_superuser("chef", "chef@example.com", "Chef-Passwort-1")
    log_in(page, live_server, "chef", "Chef-Passwort-1")
    page.goto(f"{live_server.url}/admin/servicecreds/servicecredential/")
    expect(page.locator("#result_list")).to_contain_text(setup.credential.username)
    page.goto(f"{live_server.url}/admin/servicecreds/servicecredential/{setup.credential.pk}/url/")
    page.select_option(".resource-select", setup.room.slug)  # our static script reacts
    expect(page.locator(".resource-choice:not([hidden]) .caldav-url")).to_have_value(
        re.compile(re.escape(setup.path(setup.room)) + "$"))
    page.goto(f"{live_server.url}/admin/scheduler/appointment/add/")
    assert violations == []


def test_language_switch_on_my_account(page, live_server, violations):
    """The one inline handler (onchange of the language select) runs: it is allowed by its hash."""
    setup = build_setup()
    user = setup.employee.user
    user.set_password("Login-Passwort-1")
    user.save()
    log_in(page, live_server, user.username, "Login-Passwort-1", admin=False)
    expect(page.locator("html")).to_have_attribute("lang", "de")
    page.select_option("select[name=language]", "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert violations == []
