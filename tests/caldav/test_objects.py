"""GET/PUT/DELETE of calendar objects, and every refusal leaving the data untouched (D4, D5, D7, S7)."""

import pytest

from scheduler import services
from scheduler.models import Appointment, Booking, Change
from tests import factories as f

from .conftest import NS, event, request, xml

pytestmark = pytest.mark.django_db


def put(client, dav, name, body, resource=None, **headers):
    return request(client, "PUT", dav.path(resource or dav.person, name), body,
                   content_type="text/calendar; charset=utf-8", **headers)


def snapshot():
    return (list(Appointment.objects.order_by("pk").values_list("pk", "etag", "deleted_at")),
            list(Booking.objects.order_by("pk").values_list("pk", "name", "deleted_at")),
            Change.objects.count())


def test_put_creates_appointment_in_credential_branch_and_get_returns_it_unchanged(client, dav):
    body = event(uid="phone-1", extra="X-CLIENT-THING:keep me\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\n"
                 "DESCRIPTION:x\r\nTRIGGER:-PT10M\r\nEND:VALARM\r\n")
    resp = put(client, dav, "phone-1.ics", body, if_none_match="*")
    assert resp.status_code == 201
    appt = Appointment.objects.get(uid="phone-1")
    assert resp["ETag"] == f'"{appt.etag}"'
    assert appt.branch == dav.credential.branch and appt.source == "phone"  # C7 / D4
    assert list(appt.bookings.values_list("resource", "name")) == [(dav.person.pk, "phone-1.ics")]
    got = request(client, "GET", dav.path(dav.person, "phone-1.ics"))
    assert got.status_code == 200
    assert got.content.decode() == body  # byte for byte (D5)
    assert got["ETag"] == resp["ETag"]
    assert got["Content-Type"].startswith("text/calendar")
    head = request(client, "HEAD", dav.path(dav.person, "phone-1.ics"))
    assert head.status_code == 200 and head["ETag"] == resp["ETag"]


def test_update_with_etag_keeps_other_bookings(client, dav):
    appt = f.appointment([dav.person, dav.room], uid="shared-1", title="Alt")
    name = appt.bookings.get(resource=dav.person).name
    resp = put(client, dav, name, event(uid="shared-1", summary="Neu"), if_match=f'"{appt.etag}"')
    assert resp.status_code == 204
    appt.refresh_from_db()
    assert appt.title == "Neu"
    assert set(appt.bookings.filter(deleted_at__isnull=True).values_list("resource", flat=True)) == {
        dav.person.pk, dav.room.pk}
    # the same object, with the same UID, in the room calendar too
    got = request(client, "GET", dav.path(dav.room, name))
    assert "UID:shared-1" in got.content.decode() and "SUMMARY:Neu" in got.content.decode()


def test_stale_if_match_is_412_and_changes_nothing(client, dav):
    appt = f.appointment([dav.person], uid="stale-1")
    before = snapshot()
    resp = put(client, dav, "stale-1.ics", event(uid="stale-1", summary="x"), if_match='"not-the-etag"')
    assert resp.status_code == 412
    assert snapshot() == before
    resp = request(client, "DELETE", dav.path(dav.person, "stale-1.ics"), if_match='"nope"')
    assert resp.status_code == 412
    assert snapshot() == before
    resp = put(client, dav, "stale-1.ics", event(uid="stale-1"), if_none_match="*")
    assert resp.status_code == 412
    assert appt.etag == Appointment.objects.get(pk=appt.pk).etag


def test_duplicate_uid_in_one_calendar_is_no_uid_conflict(client, dav):
    f.appointment([dav.person], uid="dup-1")
    before = snapshot()
    resp = put(client, dav, "other-name.ics", event(uid="dup-1"))
    assert resp.status_code == 403
    cond = xml(resp).find("C:no-uid-conflict", NS)
    assert cond is not None
    assert cond.findtext("D:href", namespaces=NS) == dav.path(dav.person, "dup-1.ics")
    assert snapshot() == before


@pytest.mark.parametrize("body,condition", [
    ("this is not iCalendar", "valid-calendar-data"),
    ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTODO\r\nUID:t\r\nSUMMARY:x\r\nEND:VTODO\r\nEND:VCALENDAR\r\n",
     "supported-calendar-component"),
    (event(uid="a").replace("END:VCALENDAR", "BEGIN:VEVENT\r\nUID:b\r\nDTSTART:20260101T100000Z\r\n"
                            "RECURRENCE-ID:20260101T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR"),
     "valid-calendar-object-resource"),
    (event(uid="late", start="20261124T120000", end="20261124T110000"), "valid-calendar-data"),
    (event(uid="bad").replace("DTSTART;TZID=Europe/Berlin:20261124T100000", "DTSTART:2026-11-24"),
     "valid-calendar-data"),
])
def test_bad_icalendar_refused_with_precondition(client, dav, body, condition):
    before = snapshot()
    resp = put(client, dav, "bad.ics", body)
    assert resp.status_code == 403, resp.content
    assert xml(resp).find(f"C:{condition}", NS) is not None
    assert snapshot() == before


def test_oversized_body_refused(client, dav, settings):
    before = snapshot()
    big = event(uid="big", extra="DESCRIPTION:" + "x" * (1024 * 1024 + 10) + "\r\n")
    resp = put(client, dav, "big.ics", big)
    assert resp.status_code == 403
    assert xml(resp).find("C:max-resource-size", NS) is not None
    assert snapshot() == before


def test_read_only_credential_cannot_write(client, dav):
    dav.employee.user.user_permissions.clear()
    resp = put(client, dav, "ro.ics", event(uid="ro"))
    assert resp.status_code == 403
    assert xml(resp).find("D:need-privileges", NS) is not None
    assert not Appointment.objects.exists()


def test_delete_removes_booking_softly_and_is_restorable(client, dav):
    appt = f.appointment([dav.person, dav.room], uid="del-1")
    resp = request(client, "DELETE", dav.path(dav.person, "del-1.ics"), if_match=f'"{appt.etag}"')
    assert resp.status_code == 204
    assert request(client, "GET", dav.path(dav.person, "del-1.ics")).status_code == 404
    assert request(client, "GET", dav.path(dav.room, "del-1.ics")).status_code == 200  # still booked there
    request(client, "DELETE", dav.path(dav.room, "del-1.ics"))
    appt.refresh_from_db()
    assert appt.deleted_at is not None  # S7: kept, restorable
    assert Booking.objects.filter(appointment=appt).count() == 2


def test_scheduler_change_is_seen_with_new_etag_and_ctag(client, dav):
    appt = f.appointment([dav.person], uid="sch-1", title="Vorher")
    first = request(client, "GET", dav.path(dav.person, "sch-1.ics"))
    appt.title = "Nachher"
    services.save_appointment(appt)
    second = request(client, "GET", dav.path(dav.person, "sch-1.ics"))
    assert second["ETag"] != first["ETag"]
    assert "SUMMARY:Nachher" in second.content.decode()


def test_windows_timezone_and_override_without_master_accepted(client, dav):
    body = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Microsoft Corporation//Outlook 16.0//EN\r\n"
            "BEGIN:VEVENT\r\nUID:win-1\r\nDTSTAMP:20261101T000000Z\r\n"
            "RECURRENCE-ID;TZID=W. Europe Standard Time:20261124T100000\r\n"
            "DTSTART;TZID=W. Europe Standard Time:20261124T120000\r\n"
            "DTEND;TZID=W. Europe Standard Time:20261124T130000\r\nSUMMARY:Ausnahme\r\n"
            "X-MICROSOFT-CDO-BUSYSTATUS:BUSY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    resp = put(client, dav, "win-1.ics", body)
    assert resp.status_code == 201, resp.content
    appt = Appointment.objects.get(uid="win-1")
    assert appt.timezone == "Europe/Berlin"
    assert appt.start.hour == 11  # 12:00 CET = 11:00 UTC
    assert request(client, "GET", dav.path(dav.person, "win-1.ics")).content.decode() == body


def test_malformed_xml_and_entity_bomb_refused(client, dav):
    resp = request(client, "PROPFIND", dav.path(dav.room), "<D:propfind xmlns:D='DAV:'><D:prop>", depth="0")
    assert resp.status_code == 400
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">'
            '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;">]><D:propfind xmlns:D="DAV:"><D:prop>'
            '<D:displayname>&lol3;</D:displayname></D:prop></D:propfind>')
    resp = request(client, "PROPFIND", dav.path(dav.room), bomb, depth="0")
    assert resp.status_code == 400
    resp = request(client, "PROPPATCH", dav.path(dav.room), bomb.replace("propfind", "propertyupdate"))
    assert resp.status_code == 400
    from caldav_endpoint.models import CalendarPreference

    assert not CalendarPreference.objects.exists()
