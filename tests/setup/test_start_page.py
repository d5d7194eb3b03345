"""The start page at / and the way from the admin login to "Mein Konto"; discovery on / still works."""

import base64

import pytest

pytestmark = pytest.mark.django_db


def test_start_page_has_two_big_links(client):
    resp = client.get("/")
    assert resp.status_code == 200
    body = resp.content.decode()
    assert 'href="/admin/"' in body and "Verwaltung" in body
    assert 'href="/account/"' in body and "Mein Konto" in body
    assert client.head("/").status_code == 200


def test_propfind_on_root_still_reaches_the_caldav_endpoint(client, setup):
    # D2: discovery clients PROPFIND / (without and with credentials)
    resp = client.generic("PROPFIND", "/", b"", HTTP_DEPTH="0")
    assert resp.status_code == 401 and "Basic" in resp["WWW-Authenticate"]
    token = base64.b64encode(b"anna-phone:Service-Passwort-9").decode()
    resp = client.generic("PROPFIND", "/", b'<?xml version="1.0"?><propfind xmlns="DAV:"><prop>'
                          b"<current-user-principal/></prop></propfind>", content_type="application/xml",
                          HTTP_DEPTH="0", HTTP_AUTHORIZATION=f"Basic {token}")
    assert resp.status_code == 207 and b"/principals/anna-phone/" in resp.content
    assert client.options("/").status_code == 200


def test_admin_login_links_my_account(client):
    body = client.get("/admin/login/").content.decode()
    assert 'id="account-link"' in body and 'href="/account/"' in body
    assert 'name="username"' in body  # still the admin's login form
