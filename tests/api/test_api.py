"""The REST API in JSON and XML, with the same rules and change log as every other writer (A1)."""

import datetime as dt
import json

import icalendar
import pytest
from django.contrib.auth.models import Permission
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from scheduler import services
from scheduler.models import Appointment, Change
from tests import factories as f
from tests.caldav.conftest import request as dav_request
from tests.caldav_reports.data import ALL as OBJECTS

pytestmark = pytest.mark.django_db
UTC = dt.timezone.utc


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def api(dav):
    user = f.user("integration", perms=None)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["scheduler", "branches"]))
    user.managed_branches.set([dav.branch, dav.other_room.branch])  # A2: an integration serving both
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def new_payload(dav, **over):
    data = {"branch": dav.branch.pk, "resources": [dav.person.pk, dav.room.pk], "title": "Hörgeräte-Anpassung",
            "start": "2026-12-01T10:00:00+01:00", "end": "2026-12-01T11:00:00+01:00", "timezone": "Europe/Berlin"}
    data.update(over)
    return data


def test_full_round_trip_json_xml_etag_caldav_delete_restore(api, client, dav):
    resp = api.post("/api/appointments/", new_payload(dav), format="json")
    assert resp.status_code == 201, resp.content
    appt = Appointment.objects.get(pk=resp.json()["id"])
    assert appt.source == "api" and resp["ETag"] == f'"{appt.etag}"'
    name = appt.bookings.first().name
    # read back as XML
    xml_resp = api.get(f"/api/appointments/{appt.pk}/", HTTP_ACCEPT="application/xml")
    assert xml_resp["Content-Type"].startswith("application/xml")
    assert "<title>Hörgeräte-Anpassung</title>" in xml_resp.content.decode()
    assert f"<etag>{appt.etag}</etag>" in xml_resp.content.decode()
    # stale ETag: 412, nothing changes
    resp = api.patch(f"/api/appointments/{appt.pk}/", {"title": "x"}, format="json", HTTP_IF_MATCH='"stale"')
    assert resp.status_code == 412
    assert Appointment.objects.get(pk=appt.pk).title == "Hörgeräte-Anpassung"
    resp = api.patch(f"/api/appointments/{appt.pk}/", {"title": "Anpassung (neu)"}, format="json",
                     HTTP_IF_MATCH=f'"{appt.etag}"')
    assert resp.status_code == 200, resp.content
    appt.refresh_from_db()
    assert resp["ETag"] == f'"{appt.etag}"'
    # both calendars see the change through CalDAV, with the same ETag
    for res in (dav.person, dav.room):
        got = dav_request(client, "GET", dav.path(res, name))
        assert "SUMMARY:Anpassung (neu)" in got.content.decode()
        assert got["ETag"] == f'"{appt.etag}"'
        assert list(Change.objects.filter(resource=res).values_list("op", flat=True)) == ["created", "modified"]
    # delete: gone from both calendars, restorable
    assert api.delete(f"/api/appointments/{appt.pk}/", HTTP_IF_MATCH='"stale"').status_code == 412
    assert api.delete(f"/api/appointments/{appt.pk}/").status_code == 204
    for res in (dav.person, dav.room):
        assert dav_request(client, "GET", dav.path(res, name)).status_code == 404
    assert api.get(f"/api/appointments/{appt.pk}/").status_code == 404
    assert [a["id"] for a in api.get("/api/appointments/?deleted=1").json()["results"]] == [appt.pk]
    assert api.post(f"/api/appointments/{appt.pk}/restore/").status_code == 200
    assert dav_request(client, "GET", dav.path(dav.room, name)).status_code == 200


def test_xml_parser_accepts_what_the_renderer_produces(api, dav):
    appt_id = api.post("/api/appointments/", new_payload(dav), format="json").json()["id"]
    body = api.get(f"/api/appointments/{appt_id}/?format=xml").content.decode()
    body = body.replace("<title>Hörgeräte-Anpassung</title>", "<title>Per XML geändert</title>")
    resp = api.put(f"/api/appointments/{appt_id}/", body.encode(), content_type="application/xml")
    assert resp.status_code == 200, resp.content
    appt = Appointment.objects.get(pk=appt_id)
    assert appt.title == "Per XML geändert"
    assert set(appt.bookings.values_list("resource", flat=True)) == {dav.person.pk, dav.room.pk}


def test_include_ical_and_write_ical(api, dav):
    resp = api.post("/api/appointments/", {"branch": dav.branch.pk, "resources": [dav.room.pk],
                                           "ical": OBJECTS["series"]}, format="json")
    assert resp.status_code == 201, resp.content
    appt = Appointment.objects.get(pk=resp.json()["id"])
    assert appt.ical == OBJECTS["series"] and appt.uid == "series"
    assert "ical" not in api.get(f"/api/appointments/{appt.pk}/").json()
    assert api.get(f"/api/appointments/{appt.pk}/?include=ical").json()["ical"] == OBJECTS["series"]


@pytest.mark.parametrize("start,end", [
    ("2026-03-23T00:00:00Z", "2026-03-30T00:00:00Z"), ("2026-10-20T00:00:00Z", "2026-10-28T00:00:00Z"),
    ("2026-12-01T00:00:00Z", "2026-12-08T00:00:00Z"), ("2026-03-30T21:00:00Z", "2026-03-31T00:00:00Z")])
def test_time_range_filter_matches_caldav_calendar_query(api, client, dav, start, end):
    for uid, text in OBJECTS.items():
        services.create_appointment(branch=dav.branch, resources=[dav.person], ical_text=text,
                                    names={dav.person.pk: f"{uid}.ics"})
    api_uids = {a["uid"] for a in api.get(f"/api/appointments/?resource={dav.person.slug}&start={start}&end={end}")
                .json()["results"]}
    s, e = (dt.datetime.fromisoformat(x.replace("Z", "+00:00")) for x in (start, end))
    body = f"""<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/>
      </D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
      <C:time-range start="{s:%Y%m%dT%H%M%SZ}" end="{e:%Y%m%dT%H%M%SZ}"/></C:comp-filter></C:comp-filter>
      </C:filter></C:calendar-query>"""
    resp = dav_request(client, "REPORT", dav.path(dav.person), body, depth="1")
    from lxml import etree

    dav_uids = {h.text.rsplit("/", 1)[1].removesuffix(".ics") for h in etree.fromstring(resp.content).iter("{DAV:}href")}
    assert api_uids == dav_uids
    assert api_uids  # every range here has at least one instance


def test_filters_by_branch_and_resource(api, dav):
    f.appointment([dav.person], title="A")
    f.appointment([dav.other_room], title="B")
    assert [a["title"] for a in api.get(f"/api/appointments/?branch={dav.branch.code}").json()["results"]] == ["A"]
    assert [a["title"] for a in api.get(f"/api/appointments/?resource={dav.other_room.pk}").json()["results"]] == ["B"]
    assert api.get("/api/appointments/?start=gestern").status_code == 400


def test_validation_is_the_shared_rule(api, dav):
    resp = api.post("/api/appointments/", new_payload(dav, end="2026-12-01T09:00:00+01:00"), format="json")
    assert resp.status_code == 400 and "end" in resp.json()
    resp = api.post("/api/appointments/", new_payload(dav, resources=[]), format="json")
    assert resp.status_code == 400 and "resources" in resp.json()
    resp = api.post("/api/resources/", {"name": "Raum", "kind": "location", "branch": dav.branch.pk,
                                        "employee": dav.employee.pk}, format="json")
    assert resp.status_code == 400 and "employee" in resp.json()
    assert not Appointment.objects.exists()


def test_malformed_json_and_xml_get_400_and_store_nothing(api, dav):
    resp = api.post("/api/appointments/", b'{"title": ', content_type="application/json")
    assert resp.status_code == 400 and "JSON parse error" in resp.json()["detail"]
    resp = api.post("/api/appointments/", b"<root><title>x</title>", content_type="application/xml",
                    HTTP_ACCEPT="application/xml")
    assert resp.status_code == 400 and b"XML parse error" in resp.content
    bomb = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
            b"<root><title>&b;</title></root>")
    assert api.post("/api/appointments/", bomb, content_type="application/xml").status_code == 400
    assert not Appointment.objects.exists()


def test_unauthenticated_underprivileged_and_service_credentials_are_refused(dav):
    anon = APIClient()
    assert anon.get("/api/appointments/").status_code in (401, 403)
    # a service credential does not open the API
    basic = APIClient()
    basic.credentials(HTTP_AUTHORIZATION="Basic YW5uYS1waG9uZTpHZWhlaW0tUGFzc3dvcnQtNDI=")
    assert basic.get("/api/appointments/").status_code in (401, 403)
    employee = f.user("employee", perms=["view_appointment"])
    client = APIClient()
    client.force_authenticate(employee)
    assert client.get("/api/appointments/").status_code == 403  # A2: no "REST-API nutzen"
    reader = f.user("reader", perms=["view_appointment"])
    reader.user_permissions.add(Permission.objects.get(codename="use_api"))
    client.force_authenticate(reader)
    assert client.get("/api/appointments/").status_code == 200
    assert client.post("/api/appointments/", new_payload(dav), format="json").status_code == 403
    nobody = f.user("nobody", perms=None)
    client.force_authenticate(nobody)
    assert client.get("/api/appointments/").status_code == 403
    assert not Appointment.objects.exists()


def test_no_service_credentials_anywhere_in_the_api(api, dav):
    root = api.get("/api/").json()
    assert set(root) == {"branches", "employees", "resources", "appointments"}
    schema = api.get("/api/schema/?format=json")
    assert schema.status_code == 200
    text = schema.content.decode()
    assert "/api/appointments/" in text and "servicecred" not in text.lower() and "password" not in text.lower()
    spec = json.loads(text)
    assert "/api/appointments/{id}/" in spec["paths"]


def test_schema_and_browsable_api(api, dav):
    assert api.get("/api/appointments/", HTTP_ACCEPT="text/html").status_code == 200
    assert icalendar  # imported for the ical tests above
