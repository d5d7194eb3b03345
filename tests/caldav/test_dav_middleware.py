"""No session, CSRF, request.user or messages on CalDAV paths; the headers and guards still apply.

config/dav_middleware.py: a phone authenticates with HTTP Basic on every request; the admin's
middleware is work it never needs.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import OperationalError
from django.test import RequestFactory

from config import dav_middleware
from scheduler import ical

from .conftest import request

DEPTH0 = ('<?xml version="1.0"?><D:propfind xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/">'
          "<D:prop><CS:getctag/><D:sync-token/></D:prop></D:propfind>")


@pytest.mark.parametrize("path,expected", [
    ("/caldav/", True), ("/caldav", True), ("/caldav/anna-phone/anna/x.ics", True),
    ("/principals/anna-phone/", True), ("/.well-known/caldav", True),
    ("/", False), ("/admin/", False), ("/caldavx", False), ("/account/", False), ("/api/caldav/", False),
])
def test_which_paths_are_dav(path, expected):
    assert dav_middleware.is_dav(RequestFactory().generic("PROPFIND", path)) is expected


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["person", "/principals/anna-phone/", "/caldav/"])
def test_dav_request_has_no_session_user_or_messages(client, dav, path):
    path = dav.path(dav.person) if path == "person" else path
    resp = request(client, "PROPFIND", path, DEPTH0, depth="0")
    assert resp.status_code == 207
    assert not hasattr(resp.wsgi_request, "session")
    assert not hasattr(resp.wsgi_request, "user")
    assert not hasattr(resp.wsgi_request, "_messages")
    assert not hasattr(resp.wsgi_request, "csrf_processing_done")
    assert "Set-Cookie" not in resp.headers and not resp.cookies
    assert "Cookie" not in resp.headers.get("Vary", "")


@pytest.mark.django_db
def test_dav_responses_keep_the_security_headers(client, dav):
    for resp in (request(client, "PROPFIND", dav.path(dav.person), DEPTH0, depth="0"),
                 request(client, "PROPFIND", dav.path(dav.person), DEPTH0, depth="0", user=None),  # 401
                 client.get("/.well-known/caldav")):
        assert resp["Content-Security-Policy"]
        assert resp["X-Content-Type-Options"] == "nosniff"
        assert resp["X-Frame-Options"] == "DENY"
    # the locale still applies: DAV:error sentences follow the phone's language
    assert "Accept-Language" in resp.headers.get("Vary", "")


@pytest.mark.django_db
def test_an_admin_session_cookie_does_not_authenticate_dav(client, dav):
    client.force_login(get_user_model().objects.create_superuser("chefin", "chefin@example.com", "x-Geheim-42"))
    resp = request(client, "PROPFIND", dav.path(dav.person), DEPTH0, depth="0", user=None)
    assert resp.status_code == 401
    assert "Set-Cookie" not in resp.headers


@pytest.mark.django_db
def test_admin_paths_keep_the_full_stack(client):
    resp = client.get("/admin/login/")
    assert resp.status_code == 200
    assert hasattr(resp.wsgi_request, "session") and hasattr(resp.wsgi_request, "user")
    assert "csrftoken" in resp.cookies  # the login form's CSRF cookie


@pytest.mark.django_db
def test_database_errors_and_the_expansion_budget_still_apply_to_dav(client, dav, monkeypatch):
    budgets = []

    def failing(request, calendar=None, name=None):
        budgets.append(ical._budget.get())
        raise OperationalError("database is locked")

    monkeypatch.setattr("caldav_endpoint.views.authenticate_request", failing)
    resp = request(client, "PROPFIND", dav.path(dav.person), DEPTH0, depth="0")
    assert resp.status_code == 503 and resp["Retry-After"]
    assert isinstance(budgets[0], ical.Budget)  # scheduler.middleware.expansion_budget ran
