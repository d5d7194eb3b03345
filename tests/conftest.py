"""Shared pytest fixtures. Builders live in ``tests.factories``."""

import pytest


@pytest.fixture(autouse=True)
def _clear_cache():
    """The password-verification cache must not leak between tests (nor its per-process front)."""
    from django.core.cache import cache

    from servicecreds import near_cache

    cache.clear()
    near_cache.inputs.clear()
    near_cache.verified.clear()
    near_cache.polls.clear()
    yield
    cache.clear()
    near_cache.inputs.clear()
    near_cache.verified.clear()
    near_cache.polls.clear()


@pytest.fixture
def dav(db):
    """A working CalDAV set-up (see ``tests.caldav.conftest.build_setup``)."""
    from tests.caldav.conftest import build_setup

    return build_setup()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright (browser tests of admin pages with JavaScript).

    Without Chromium the browser tests are skipped locally; on CI (CI=true) that is a failure.
    """
    import os
    import shutil

    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is missing on CI: install Debian's chromium package")
        pytest.skip("Chromium not installed (apt-get install chromium)")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh browser context (own cookies) per test, German UI."""
    context = browser.new_context(locale="de-DE")
    page = context.new_page()
    yield page
    context.close()


def log_in(page, live_server, username: str, password: str, *, admin: bool = True) -> None:
    """Log in through the real form: the admin's (``/admin/login/``) or Mein Konto's (``/account/login/``)."""
    page.goto(f"{live_server.url}/{'admin' if admin else 'account'}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]" if admin else "button[type=submit]")
    page.wait_for_url("**/admin/" if admin else "**/account/")
