"""On screen (Playwright + Debian's Chromium): the credential list at 1280 px says "Gesperrt: …" for blocked
credentials and the sync health for usable ones; "Mein Konto" at 390 px on an iPhone shows "Dieses Telefon
einrichten" disabled with the access rule's reason. Neither page scrolls sideways."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from servicecreds.models import ServiceCredential
from tests.caldav.conftest import make_credential
from tests.conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/17.5 Mobile/15E148 Safari/604.1")
IOS = "iOS/18.1 (22B83) dataaccessd/1.0"
EXPIRED = "Die Servicezugangsdaten sind abgelaufen (siehe „gültig bis“)."


@pytest.fixture
def world(setup):
    """Anna: "anna-phone" expired, "anna-ipad" healthy and synced 5 minutes ago; Ben: no password."""
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    ServiceCredential.objects.filter(pk=setup["cred"].pk).update(valid_until=yesterday)
    ipad = make_credential(setup["anna"].user, setup["branch"], username="anna-ipad")
    ServiceCredential.objects.filter(pk=ipad.pk).update(last_used_at=timezone.now() - dt.timedelta(minutes=5),
                                                        last_user_agent=IOS)
    return {**setup, "ipad": ipad, "until": yesterday.strftime("%d.%m.%Y")}


def no_sideways_scroll(page, width: int) -> None:
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width


def phone_page(browser, locale="de-DE"):
    context = browser.new_context(locale=locale, viewport={"width": 390, "height": 844}, user_agent=IPHONE,
                                  is_mobile=True, has_touch=True)
    return context, context.new_page()


def log_in_to_my_account(page, live_server):
    log_in(page, live_server, "anna", "Login-Passwort-1", admin=False)


def test_credential_list_at_1280_px(page, live_server, world):
    get_user_model().objects.create_superuser("chef", "chef@example.com", "Chef-Passwort-1")
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, live_server, "chef", "Chef-Passwort-1")
    page.goto(f"{live_server.url}/admin/servicecreds/servicecredential/")

    def cell(username):
        return page.locator("#result_list tr", has=page.locator(f"th a:text-is('{username}')")).locator(
            "td.field-sync_status span")

    expect(cell("anna-phone")).to_have_text(f"Gesperrt: abgelaufen am {world['until']}")
    expect(cell("anna-phone")).to_have_attribute("title", EXPIRED)  # the rule's own sentence
    expect(cell("anna-phone")).to_have_class("sync-blocked")
    expect(cell("ben-phone")).to_have_text("Gesperrt: kein Passwort gesetzt")
    expect(cell("anna-ipad")).to_have_text("OK, zuletzt vor 5 Min. (iPhone/iPad, iOS 18.1)")
    assert "Noch nie verbunden" not in page.locator("#result_list").inner_text()
    no_sideways_scroll(page, 1280)
    page.click("#changelist-filter a[href*='sync=blocked']")  # the filter offers "Gesperrt"
    expect(page.locator("#result_list tbody th a")).to_have_text(["anna-phone", "ben-phone"])
    no_sideways_scroll(page, 1280)


def test_my_account_at_390_px_on_an_iphone(browser, live_server, world):
    context, page = phone_page(browser)
    try:
        log_in_to_my_account(page, live_server)
        blocked = page.locator(f"#credential-{world['cred'].pk}")
        button = blocked.locator(".setup-this-phone")
        expect(button).to_be_disabled()
        expect(button).to_have_attribute("aria-disabled", "true")
        assert button.evaluate("e => e.tagName") == "BUTTON" and blocked.locator("a.setup-this-phone").count() == 0
        expect(blocked.locator(".setup-why")).to_have_text(EXPIRED)
        expect(button).to_have_accessible_description(EXPIRED)
        assert blocked.locator(".setup-why").is_visible()
        button.click(force=True)  # a disabled button does nothing: no navigation
        assert page.url.endswith("/account/")
        usable = page.locator(f"#credential-{world['ipad'].pk}")
        expect(usable.locator(".setup-this-phone")).to_be_enabled()
        assert usable.locator(".setup-why").count() == 0
        no_sideways_scroll(page, 390)
    finally:
        context.close()


def test_my_account_in_english(browser, live_server, world):
    context, page = phone_page(browser, locale="en-US")  # Accept-Language: en-US
    try:
        log_in_to_my_account(page, live_server)
        blocked = page.locator(f"#credential-{world['cred'].pk}")
        expect(blocked.locator(".setup-this-phone")).to_have_text("Set up this phone")
        expect(blocked.locator(".setup-this-phone")).to_be_disabled()
        expect(blocked.locator(".setup-why")).to_have_text("The service credentials have expired (see “valid until”).")
        no_sideways_scroll(page, 390)
    finally:
        context.close()
