"""Browser tests at 390 px (an iPhone's width): the set-up page and "Mein Konto" fit and are finger-sized (U5)."""

import pytest
from playwright.sync_api import expect

from servicecreds import setup_links

pytestmark = pytest.mark.django_db(transaction=True)

WIDTH = 390
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/17.5 Mobile/15E148 Safari/604.1")
ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"


@pytest.fixture
def phone(browser):
    def open_phone(user_agent=IPHONE):
        context = browser.new_context(locale="de-DE", viewport={"width": WIDTH, "height": 844},
                                      user_agent=user_agent, is_mobile=True, has_touch=True)
        contexts.append(context)
        return context.new_page()
    contexts = []
    yield open_phone
    for c in contexts:
        c.close()


def assert_fits(page):
    """No horizontal scrolling at 390 px."""
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH


def assert_finger_sized(page, selectors):
    """Every visible control of each selector is at least 44 px high (and each selector finds one)."""
    for selector in selectors.split(", "):
        boxes = [el.bounding_box() for el in page.locator(selector).all() if el.is_visible()]
        assert boxes, selector
        for box in boxes:
            assert box["height"] >= 44, (selector, box)


def test_set_up_page_on_an_iphone(phone, live_server, setup, settings):
    settings.TERMINSYNC_BASE_URL = live_server.url
    new = setup_links.create(setup["cred"], setup["person"])
    page = phone()
    page.goto(new.url)
    expect(page.locator("#setup-begin")).to_have_text("Einrichtung starten")
    assert_fits(page)
    assert_finger_sized(page, "#setup-begin")
    page.click("#setup-begin")
    expect(page.locator("h2")).to_have_text("Kalender auf diesem Gerät einrichten")
    assert page.locator("#platform-apple").get_attribute("open") is not None  # detected from the User-Agent
    assert_fits(page)
    assert_finger_sized(page, "#profile-download, #setup-test-button, #test-password, #profile-password, summary")
    page.fill("#test-password", "falsch")
    page.click("#setup-test-button")
    expect(page.locator(".test-result .test-error")).to_contain_text("Benutzername oder Passwort ist falsch")
    page.fill("#test-password", "Service-Passwort-9")
    page.click("#setup-test-button")
    expect(page.locator(".test-result .test-ok")).to_contain_text("Verbindung erfolgreich")
    assert_fits(page)


def test_set_up_page_on_android_and_copy_buttons(phone, live_server, setup, settings):
    settings.TERMINSYNC_BASE_URL = live_server.url
    new = setup_links.create(setup["cred"], setup["room"])
    page = phone(ANDROID)
    page.goto(new.url)
    page.click("#setup-begin")
    link = page.locator("#davx5-link")
    expect(link).to_be_visible()
    assert link.get_attribute("href").startswith("caldav://anna-phone@")
    assert_finger_sized(page, "#davx5-link")
    page.click("#platform-other summary")
    page.locator("button[data-copy=value-user]").click()
    expect(page.locator("button[data-copy=value-user]")).to_contain_text("Kopiert")
    assert_finger_sized(page, "button[data-copy]")
    assert_fits(page)


def test_my_account_on_a_phone(phone, live_server, setup, settings):
    settings.TERMINSYNC_BASE_URL = live_server.url
    page = phone()
    page.goto(f"{live_server.url}/")
    assert_fits(page)
    assert_finger_sized(page, ".big-links a")
    page.click("#start-account")
    page.fill("#id_username", "anna")
    page.fill("#id_password", "Login-Passwort-1")
    page.click("button[type=submit]")
    page.wait_for_url("**/account/")
    expect(page.locator("h2")).to_contain_text("Mein Konto")
    assert_fits(page)
    assert_finger_sized(page, ".setup-this-phone, .setup-qr, .resource-select, .copy-url, .test-button, "
                              "a.button, header button, header select")
    page.click(".test-button")
    expect(page.locator(".test-result .test-ok")).to_contain_text("Verbindung erfolgreich")
    assert_fits(page)
    page.click(".setup-this-phone")
    page.wait_for_url("**/setup/**")
    expect(page.locator("#setup-test")).to_be_visible()  # the set-up page, opened in place, no start button
    assert page.locator(".qr").count() == 0
    assert_fits(page)
