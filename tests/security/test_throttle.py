"""The login throttle: guesses are counted, a password that verifies is never refused (CalDAV),
web logins wait out the window, and the client address comes from the configured proxy header."""

from __future__ import annotations

import base64
import logging

import pytest
from django.contrib.auth import get_user_model
from django.test import RequestFactory

from servicecreds import authentication, throttle
from servicecreds.client_address import client_address
from servicecreds.models import ServiceCredential
from tests import factories as f
from tests.caldav.conftest import PASSWORD, make_credential, request

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("counting_hasher")]
PHONE = "10.1.2.3"


@pytest.fixture
def client(client):
    """The phone's address, as REMOTE_ADDR (``request`` passes keyword headers as HTTP_*)."""
    client.defaults["REMOTE_ADDR"] = PHONE
    return client


def phone(client, password=PASSWORD, user="anna-phone", **headers):
    return request(client, "PROPFIND", "/caldav/", depth="0", user=user, password=password, **headers)


# --- CalDAV: a correct password always passes -------------------------------------------------------------


def test_phone_keeps_working_after_40_guesses_from_its_address_beyond_the_cache_lifetime(
        client, dav, clock, caplog, monkeypatch):
    """The reported bug: 40 wrong passwords from the phone's address, the cache entry expired → 401 forever."""
    monkeypatch.setattr(throttle, "FAILURE_WINDOW", 3600)  # the guessing stays "recent" throughout
    assert phone(client).status_code == 207
    for i in range(40):
        assert phone(client, password=f"rate-{i}").status_code == 401
    assert throttle.is_throttled("caldav", "anna-phone", PHONE)
    with caplog.at_level(logging.INFO, logger="terminsync"):
        for _ in range(3):
            clock.advance(authentication.VERIFIED_TTL + 1)  # the remembered verification has expired
            assert phone(client).status_code == 207
            assert phone(client).status_code == 207  # now from the cache again
            assert phone(client, password="noch-ein-versuch").status_code == 401
            assert throttle.is_throttled("caldav", "anna-phone", PHONE)
    assert caplog.text.count("reason=throttled_but_verified") == 3
    assert "reason=throttled " in caplog.text  # the wrong ones are logged as throttled
    assert PASSWORD not in caplog.text and "noch-ein-versuch" not in caplog.text


def test_verification_is_renewed_on_use(client, dav, clock, counting_hasher):
    counting_hasher.calls = 0
    assert phone(client).status_code == 207
    assert counting_hasher.calls == 1
    for _ in range(4):  # 4 × 200 s: far beyond VERIFIED_TTL since the first check, never idle that long
        clock.advance(authentication.VERIFIED_TTL * 2 / 3)
        assert phone(client).status_code == 207
    assert counting_hasher.calls == 1
    clock.advance(authentication.VERIFIED_TTL + 1)
    assert phone(client).status_code == 207
    assert counting_hasher.calls == 2


@pytest.mark.parametrize("case", ["unknown_user", "no_password", "wrong_password", "throttled_wrong",
                                  "throttled_right", "right"])
def test_every_attempt_costs_exactly_one_hash(client, dav, counting_hasher, case):
    """Response time must not tell which usernames exist or have a password (one hash in every case)."""
    cred = make_credential(dav.employee.user, dav.branch, username="ohne-passwort")
    ServiceCredential.objects.filter(pk=cred.pk).update(password="")
    user, password = {"unknown_user": ("niemand", "x"), "no_password": ("ohne-passwort", "x")}.get(
        case, ("anna-phone", PASSWORD if case.endswith("right") else "falsch"))
    if case.startswith("throttled"):
        for _ in range(throttle.MAX_FAILURES):
            throttle.record_failure("caldav", user, PHONE)
    counting_hasher.calls = 0
    expected = 207 if case.endswith("right") else 401
    assert phone(client, user=user, password=password).status_code == expected
    assert counting_hasher.calls == 1


@pytest.mark.parametrize("username", ["anna\x00phone", "anna-phone\x00", "\x00", "anna\x01", "anna\x7f", "anna\nphone"])
def test_control_characters_in_the_username_are_a_401_not_a_500(client, dav, username):
    token = base64.b64encode(f"{username}:{PASSWORD}".encode()).decode()
    resp = client.generic("PROPFIND", "/caldav/", b"", HTTP_AUTHORIZATION=f"Basic {token}", HTTP_DEPTH="0")
    assert resp.status_code == 401
    assert resp["WWW-Authenticate"].startswith("Basic")


# --- the client address ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("header", "xff", "expected"), [
    ("", "203.0.113.9", "192.0.2.1"),                                   # not configured: ignored
    ("HTTP_X_FORWARDED_FOR", "203.0.113.9", "203.0.113.9"),
    ("HTTP_X_FORWARDED_FOR", "6.6.6.6, 203.0.113.9", "203.0.113.9"),    # right-most: what our proxy added
    ("HTTP_X_FORWARDED_FOR", " 2001:db8::1 ", "2001:db8::1"),
    ("HTTP_X_FORWARDED_FOR", "", "192.0.2.1"),                          # missing: the peer
    ("HTTP_X_FORWARDED_FOR", "unknown", "192.0.2.1"),                   # not an address
])
def test_client_address(settings, header, xff, expected):
    settings.TRUSTED_PROXY_HEADER = header
    req = RequestFactory().get("/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR=xff)
    assert client_address(req) == expected


def test_forged_forwarded_for_is_ignored_unless_configured(client, dav, settings, caplog):
    settings.TRUSTED_PROXY_HEADER = ""
    for i in range(throttle.MAX_FAILURES):  # a new forged address each time: all counted for the real peer
        phone(client, password="falsch", x_forwarded_for=f"198.51.100.{i}")
    with caplog.at_level(logging.INFO, logger="terminsync.caldav"):
        phone(client, password="falsch", x_forwarded_for="198.51.100.200")
    assert f"reason=throttled ip={PHONE}" in caplog.text


def test_configured_proxy_header_separates_clients_behind_the_proxy(client, dav, settings, caplog):
    settings.TRUSTED_PROXY_HEADER = "HTTP_X_FORWARDED_FOR"
    attacker = {"x_forwarded_for": "1.2.3.4, 198.51.100.66"}  # the proxy appended 198.51.100.66
    for _ in range(throttle.MAX_FAILURES):
        phone(client, password="falsch", **attacker)
    with caplog.at_level(logging.INFO, logger="terminsync.caldav"):
        phone(client, password="falsch", **attacker)
        phone(client, password="falsch", x_forwarded_for="198.51.100.7")  # another client behind the proxy
    assert "reason=throttled ip=198.51.100.66" in caplog.text
    assert "reason=wrong_password ip=198.51.100.7" in caplog.text


# --- web logins: wait out the window ---------------------------------------------------------------------


WEB_PASSWORD = "Login-Passwort-1"


def login(client, url, password, username="anna", addr=PHONE):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=addr)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("url", ["/account/login/", "/admin/login/"])
def test_web_login_refuses_even_the_right_password_until_the_window_ends(client, clock, caplog, url):
    user = f.user("anna", password=WEB_PASSWORD, is_staff=True, is_superuser=True)
    for _ in range(throttle.MAX_FAILURES):
        resp = login(client, url, "falsch")
        assert resp.status_code == 200 and not logged_in(client)
    with caplog.at_level(logging.INFO, logger="terminsync.auth"):
        resp = login(client, url, WEB_PASSWORD)
    assert resp.status_code == 200  # the form again, with the reason; not a 500
    assert "Zu viele fehlgeschlagene Anmeldungen" in resp.content.decode()
    assert not logged_in(client)
    assert "reason=throttled" in caplog.text and WEB_PASSWORD not in caplog.text and "falsch" not in caplog.text
    # another address is not affected
    assert login(client, url, WEB_PASSWORD, addr="10.9.9.9").status_code == 302 and logged_in(client)
    client.logout()
    # after the window the right password works again from the throttled address
    clock.advance(throttle.FAILURE_WINDOW + 1)
    assert login(client, url, WEB_PASSWORD).status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_web_and_phone_guesses_are_counted_apart(client, dav, clock):
    """Guesses at the phone's credential do not lock its owner out of "Mein Konto" (scopes)."""
    get_user_model().objects.filter(pk=dav.employee.user.pk).update(username="anna-phone")
    user = get_user_model().objects.get(pk=dav.employee.user.pk)
    user.set_password(WEB_PASSWORD)
    user.save()
    for _ in range(throttle.MAX_FAILURES):
        phone(client, password="falsch")
    assert login(client, "/account/login/", WEB_PASSWORD, username="anna-phone").status_code == 302


def test_web_login_with_nul_in_username_is_a_form_error(client, db):
    resp = login(client, "/account/login/", "x", username="anna\x00")
    assert resp.status_code == 200 and not logged_in(client)
