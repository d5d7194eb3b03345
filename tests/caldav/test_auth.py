"""Every refusal of the access rule is a 401 that tells the client nothing (D3); hidden calendars are 404."""

import datetime as dt
import logging

import pytest
from django.utils import timezone

from servicecreds.models import ServiceCredential
from tests import factories as f

from .conftest import PASSWORD, make_credential, request

pytestmark = pytest.mark.django_db


def break_credential(dav, reason):
    cred, user = dav.credential, dav.employee.user
    today = timezone.localdate()
    if reason == "no_password":
        cred.password = ""
    elif reason == "not_confirmed":
        cred.confirmed = False
    elif reason == "not_yet_valid":
        cred.valid_from = today + dt.timedelta(days=1)
    elif reason == "expired":
        cred.valid_until = today - dt.timedelta(days=1)
    elif reason == "wrong_service_class":
        cred.service_class = "other"
    elif reason == "user_inactive":
        user.is_active = False
        user.save()
    elif reason == "no_employee":
        dav.employee.user = None
        dav.employee.save()
    cred.save()


REASONS = ["no_password", "not_confirmed", "not_yet_valid", "expired", "wrong_service_class",
           "user_inactive", "no_employee"]


@pytest.mark.parametrize("reason", REASONS)
def test_each_refusal_is_an_anonymous_401_and_logged_without_password(client, dav, caplog, reason):
    assert request(client, "PROPFIND", dav.path(dav.person), depth="0").status_code == 207
    break_credential(dav, reason)
    with caplog.at_level(logging.INFO, logger="terminsync.caldav"):
        resp = request(client, "PROPFIND", dav.path(dav.person), depth="0")
    assert resp.status_code == 401
    assert resp["WWW-Authenticate"].startswith("Basic")
    assert reason not in resp.content.decode()
    assert f"reason={reason}" in caplog.text
    assert PASSWORD not in caplog.text


def test_wrong_password_and_unknown_user(client, dav, caplog):
    with caplog.at_level(logging.INFO, logger="terminsync.caldav"):
        assert request(client, "PROPFIND", "/caldav/", password="falsch").status_code == 401
        assert request(client, "PROPFIND", "/caldav/", user="niemand").status_code == 401
    assert "reason=wrong_password" in caplog.text and "reason=unknown_user" in caplog.text
    assert "falsch" not in caplog.text


def test_username_is_case_insensitive(client, dav):
    resp = request(client, "PROPFIND", "/caldav/anna-phone/", user="ANNA-Phone", depth="0")
    assert resp.status_code == 207


@pytest.mark.parametrize("change", ["sync_off", "inactive", "other_employee", "other_branch", "no_employee"])
def test_resources_outside_the_rule_are_404(client, dav, change):
    res = dav.room if change in ("sync_off", "inactive", "other_branch") else dav.person
    if change == "sync_off":
        res.sync_allowed = False
    elif change == "inactive":
        res.active = False
    elif change == "other_branch":
        res.branch = f.branch()
    elif change == "other_employee":
        res.employee = f.employee(dav.branch)
    elif change == "no_employee":
        res.employee = None
    res.save()
    assert request(client, "PROPFIND", dav.path(res), depth="0").status_code == 404
    assert dav.path(res) not in request(client, "PROPFIND", "/caldav/anna-phone/", depth="1").content.decode()


def test_password_change_invalidates_remembered_verification(client, dav):
    assert request(client, "PROPFIND", "/caldav/", depth="0").status_code == 207
    dav.credential.set_password("Ganz-Neues-Passwort-7")
    dav.credential.save()
    assert request(client, "PROPFIND", "/caldav/", depth="0").status_code == 401
    assert request(client, "PROPFIND", "/caldav/", depth="0", password="Ganz-Neues-Passwort-7").status_code == 207


def test_verification_is_remembered_not_recomputed(client, dav, monkeypatch):
    calls = []
    original = ServiceCredential.check_password
    monkeypatch.setattr(ServiceCredential, "check_password", lambda self, raw: calls.append(1) or original(self, raw))
    for _ in range(3):
        assert request(client, "PROPFIND", "/caldav/", depth="0").status_code == 207
    assert len(calls) == 1


def test_last_use_is_recorded(client, dav):
    request(client, "PROPFIND", "/caldav/", depth="0", user_agent="DAVx5/4.4")
    dav.credential.refresh_from_db()
    assert dav.credential.last_used_at is not None and dav.credential.last_user_agent == "DAVx5/4.4"


def test_other_credential_of_same_user_cannot_use_foreign_path(client, dav):
    make_credential(dav.employee.user, dav.branch, username="anna-ipad")
    resp = request(client, "PROPFIND", dav.path(dav.person), depth="0", user="anna-ipad")
    assert resp.status_code == 404  # the path names another credential
    assert request(client, "PROPFIND", f"/caldav/anna-ipad/{dav.person.slug}/", depth="0",
                   user="anna-ipad").status_code == 207


def test_guessing_is_throttled_but_a_known_good_password_is_not(client, dav, caplog):
    from servicecreds import authentication

    assert request(client, "PROPFIND", "/caldav/", depth="0").status_code == 207  # the phone, verified
    for _ in range(authentication.MAX_FAILURES):
        assert request(client, "PROPFIND", "/caldav/", password="rate-mal", depth="0").status_code == 401
    with caplog.at_level(logging.INFO, logger="terminsync.caldav"):
        # now even a new guess is refused unchecked ...
        assert request(client, "PROPFIND", "/caldav/", password="noch-ein-versuch", depth="0").status_code == 401
    assert "reason=throttled" in caplog.text
    # ... while the phone with its verified password goes on working
    assert request(client, "PROPFIND", "/caldav/", depth="0").status_code == 207
    # other usernames are not affected
    make_credential(dav.employee.user, dav.branch, username="anna-ipad")
    assert request(client, "PROPFIND", "/caldav/", user="anna-ipad", depth="0").status_code == 207


def test_verification_cache_can_be_shared_through_redis(client, dav, settings):
    """With REDIS_URL, every worker sees one verification (the Redis server of this machine kind)."""
    import redis

    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url).ping()
    except redis.ConnectionError:
        pytest.skip("no Redis server on 127.0.0.1:6379")
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url,
                                   "KEY_PREFIX": "terminsync-test"}}
    from django.core.cache import caches

    caches["default"].clear()
    assert request(client, "PROPFIND", "/caldav/", depth="0").status_code == 207
    keys = [k.decode() for k in redis.Redis.from_url(url).keys("terminsync-test*")]
    assert any("servicecreds:verified:" in k for k in keys)
    assert not any(PASSWORD in k for k in keys)  # keyed hash, never the password
    caches["default"].clear()
