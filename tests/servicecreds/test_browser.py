"""Browser tests (Playwright + Debian's Chromium) for the pages with buttons and JavaScript (U2, U4, C10)."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from tests.conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def admin_page(page, live_server, setup):
    get_user_model().objects.create_superuser("chef", "chef@example.com", "Chef-Passwort-1")
    log_in(page, live_server, "chef", "Chef-Passwort-1")
    return page


def expect_url(page, suffix: str) -> None:
    """The visible URL field shows the calendar URL (retried until the page has settled)."""
    import re

    expect(page.locator(".resource-choice:not([hidden]) .caldav-url")).to_have_value(re.compile(re.escape(suffix) + "$"))


def test_url_selector_follows_choice_without_reload(admin_page, live_server, setup):
    page, cred = admin_page, setup["cred"]
    page.goto(f"{live_server.url}/admin/servicecreds/servicecredential/{cred.pk}/change/")
    page.click("#resource-url")
    page.wait_for_url("**/url/")
    expect_url(page, f"/caldav/anna-phone/{setup['person'].slug}/")
    page.evaluate("window.__marker = 1")  # survives only if the page does not reload
    page.select_option(".resource-select", setup["room"].slug)
    expect_url(page, f"/caldav/anna-phone/{setup['room'].slug}/")
    assert page.evaluate("window.__marker") == 1
    assert page.locator(".resource-choice:not([hidden]) .legacy-warning").is_visible()
    assert page.locator("#make-setup-link").is_visible()  # U5: the QR code carries a set-up link (tests/setup)
    page.locator(".resource-choice:not([hidden]) .copy-url").click()
    assert "copied" in page.locator(".resource-choice:not([hidden]) .copy-url").get_attribute("class")
    # Test: green for a syncable resource, the reason for one that is not
    page.click(".test-button")
    page.wait_for_selector(".test-result.ok")
    assert "Verbindung erfolgreich" in page.text_content(".test-result")
    assert "Google" in page.text_content(".test-result")
    page.select_option(".resource-select", setup["closed"].slug)
    page.click(".test-button")
    page.wait_for_selector(".test-result.failed")
    assert "Terminsynchronisation erlaubt" in page.text_content(".test-result")


@pytest.mark.parametrize("breakage,expected", [
    ("confirmed", "nicht bestätigt"), ("password", "kein Passwort"), ("expired", "abgelaufen")])
def test_test_button_shows_credential_reasons(admin_page, live_server, setup, breakage, expected):
    import datetime as dt

    cred = setup["cred"]
    if breakage == "confirmed":
        cred.confirmed = False
    elif breakage == "password":
        cred.password = ""
    else:
        cred.valid_until = dt.date(2020, 1, 1)
    cred.save()
    admin_page.goto(f"{live_server.url}/admin/servicecreds/servicecredential/{cred.pk}/url/")
    admin_page.click(".test-button")
    admin_page.wait_for_selector(".test-result.failed")
    assert expected in admin_page.text_content(".test-result")


def test_password_page(admin_page, live_server, setup):
    page, cred = admin_page, setup["ben_cred"]
    page.goto(f"{live_server.url}/admin/servicecreds/servicecredential/{cred.pk}/change/")
    page.click("#set-password")
    page.wait_for_url("**/password/")
    page.fill("#id_password1", "Browser-Passwort-77")
    page.fill("#id_password2", "Browser-Passwort-77")
    page.click("#password-form input[type=submit]")
    page.wait_for_selector(".messagelist .success")
    assert "wurde neu vergeben" in page.text_content(".messagelist")
    cred.refresh_from_db()
    assert cred.check_password("Browser-Passwort-77")


def test_my_account_test_button(page, live_server, setup):
    page.goto(f"{live_server.url}/account/login/")
    page.fill("#id_username", "anna")
    page.fill("#id_password", "Login-Passwort-1")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/account/")
    page.click(".test-button")
    page.wait_for_selector(".test-result.ok")
    page.select_option(".resource-select", setup["room"].slug)
    expect_url(page, f"/caldav/anna-phone/{setup['room'].slug}/")
