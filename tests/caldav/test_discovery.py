"""Discovery from the bare server address (D2, RFC 6764, RFC 5397, RFC 4791 §6.2)."""

import pytest

from .conftest import NS, hrefs, propstats, request, xml

pytestmark = pytest.mark.django_db

PRINCIPAL_PROPS = """<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:current-user-principal/><D:principal-URL/><C:calendar-home-set/>
  <C:calendar-user-address-set/><D:displayname/><D:resourcetype/><D:unknown-thing/></D:prop>
</D:propfind>"""


def test_well_known_is_a_301_to_the_context_path(client):
    for method in ("GET", "PROPFIND"):
        resp = client.generic(method, "/.well-known/caldav")
        assert resp.status_code == 301
        assert resp["Location"] == "/caldav/"


def test_anonymous_gets_quick_401_with_realm(client, dav):
    resp = request(client, "PROPFIND", "/caldav/", user=None)
    assert resp.status_code == 401
    assert resp["WWW-Authenticate"].startswith('Basic realm="Terminsync')


def test_options_announces_calendar_access(client):
    resp = client.options("/caldav/")
    assert resp.status_code == 200
    assert "calendar-access" in resp["DAV"] and "1" in resp["DAV"]
    assert "PROPFIND" in resp["Allow"] and "REPORT" in resp["Allow"]


@pytest.mark.parametrize("path", ["/", "/caldav/"])
def test_root_leads_to_principal_and_home(client, dav, path):
    resp = request(client, "PROPFIND", path, PRINCIPAL_PROPS, depth="0")
    assert resp.status_code == 207
    ok = propstats(resp, path)["200"]
    assert ok["{DAV:}current-user-principal"].findtext("D:href", namespaces=NS) == "/principals/anna-phone/"
    assert ok["{urn:ietf:params:xml:ns:caldav}calendar-home-set"].findtext(
        "D:href", namespaces=NS) == "/caldav/anna-phone/"
    assert "{DAV:}unknown-thing" in propstats(resp, path)["404"]


def test_principal_properties(client, dav):
    resp = request(client, "PROPFIND", "/principals/anna-phone/", PRINCIPAL_PROPS, depth="0")
    ok = propstats(resp, "/principals/anna-phone/")["200"]
    addresses = [h.text for h in ok["{urn:ietf:params:xml:ns:caldav}calendar-user-address-set"]]
    assert "mailto:anna@example.com" in addresses
    assert ok["{DAV:}principal-URL"].findtext("D:href", namespaces=NS) == "/principals/anna-phone/"
    assert ok["{DAV:}displayname"].text == "Anna Becker"
    assert ok["{DAV:}resourcetype"].find("D:principal", NS) is not None


def test_home_is_plain_collection_listing_exactly_the_allowed_calendars(client, dav):
    # D3/S4/S5: own person resource + rooms of the credential's branch with sync allowed
    from tests import factories as f

    f.room(dav.branch, name="Werkstatt", sync=False)
    resp = request(client, "PROPFIND", "/caldav/anna-phone/", "", depth="1")
    assert resp.status_code == 207
    assert sorted(hrefs(resp)) == sorted([
        "/caldav/anna-phone/", dav.path(dav.person), dav.path(dav.room)])
    home = propstats(resp, "/caldav/anna-phone/")["200"]["{DAV:}resourcetype"]
    assert home.find("D:collection", NS) is not None and home.find("C:calendar", NS) is None
    cal = propstats(resp, dav.path(dav.room))["200"]["{DAV:}resourcetype"]
    assert cal.find("C:calendar", NS) is not None


def test_other_users_home_and_hidden_calendars_are_404(client, dav):
    assert request(client, "PROPFIND", "/caldav/someone-else/", depth="0").status_code == 404
    assert request(client, "PROPFIND", "/principals/someone-else/", depth="0").status_code == 404
    for res in (dav.other_room, dav.other_person):
        assert request(client, "PROPFIND", dav.path(res), depth="0").status_code == 404
        assert request(client, "GET", dav.path(res, "x.ics")).status_code == 404


def test_collections_hrefs_end_with_slash(client, dav):
    resp = request(client, "PROPFIND", "/caldav/anna-phone/", "", depth="1")
    assert all(h.endswith("/") for h in hrefs(resp))


def test_depth_infinity_refused_with_precondition(client, dav):
    resp = request(client, "PROPFIND", "/caldav/anna-phone/", "", depth="infinity")
    assert resp.status_code == 403
    assert xml(resp).find("D:propfind-finite-depth", NS) is not None
