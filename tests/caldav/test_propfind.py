"""PROPFIND on calendars and objects: the property registry (RFC 4918 §9.1, RFC 4791 §5.2)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from caldav_endpoint.report_names import SUPPORTED_REPORTS
from caldav_endpoint.reports import REPORTS
from tests import factories as f

from .conftest import NS, propstats, request, xml

pytestmark = pytest.mark.django_db
C = "{urn:ietf:params:xml:ns:caldav}"

ALL_CALENDAR_PROPS = """<?xml version="1.0"?>
<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CS="http://calendarserver.org/ns/"
            xmlns:I="http://apple.com/ns/ical/">
 <D:prop>
  <D:resourcetype/><D:displayname/><C:calendar-description/><C:supported-calendar-component-set/>
  <D:supported-report-set/><CS:getctag/><D:sync-token/><D:current-user-privilege-set/>
  <C:calendar-timezone/><C:calendar-timezone-id/><I:calendar-color/><I:calendar-order/>
  <C:max-resource-size/><C:min-date-time/><C:max-date-time/><D:owner/><I:no-such-prop/>
 </D:prop>
</D:propfind>"""


def test_supported_report_set_names_exactly_the_answered_reports():
    # RFC 3253 §3.1.5: props advertises report_names, REPORT dispatches reports.REPORTS; the two agree
    assert tuple(REPORTS) == SUPPORTED_REPORTS


def test_calendar_collection_properties(client, dav):
    f.appointment([dav.room])
    resp = request(client, "PROPFIND", dav.path(dav.room), ALL_CALENDAR_PROPS, depth="0")
    assert resp.status_code == 207
    stats = propstats(resp, dav.path(dav.room))
    ok = stats["200"]
    assert ok["{DAV:}displayname"].text == "Refraktionsraum"
    assert [c.get("name") for c in ok[C + "supported-calendar-component-set"]] == ["VEVENT"]
    reports = {r[0][0].tag for r in ok["{DAV:}supported-report-set"]}
    assert reports == {C + "calendar-query", C + "calendar-multiget", C + "free-busy-query", "{DAV:}sync-collection"}
    dav.room.refresh_from_db()
    assert ok["{DAV:}sync-token"].text == f"urn:terminsync:sync:{dav.room.slug}:1"
    assert ok["{http://calendarserver.org/ns/}getctag"].text == ok["{DAV:}sync-token"].text
    assert "BEGIN:VTIMEZONE" in ok[C + "calendar-timezone"].text
    assert "RRULE:FREQ=YEARLY" in ok[C + "calendar-timezone"].text
    assert ok[C + "calendar-timezone-id"].text == "Europe/Berlin"
    assert ok["{http://apple.com/ns/ical/}calendar-color"].text.startswith(dav.room.color)
    assert int(ok[C + "max-resource-size"].text) > 0
    assert ok["{DAV:}owner"].findtext("D:href", namespaces=NS) == "/principals/anna-phone/"
    privs = {p[0].tag for p in ok["{DAV:}current-user-privilege-set"]}
    assert {"{DAV:}read", "{DAV:}write-content", "{DAV:}bind", "{DAV:}unbind"} <= privs
    assert "{http://apple.com/ns/ical/}no-such-prop" in stats["404"]


def test_read_only_user_gets_read_only_privileges(client, dav):
    # seed 3.f note: a technical room user may be read-only
    dav.employee.user.user_permissions.clear()
    resp = request(client, "PROPFIND", dav.path(dav.room), ALL_CALENDAR_PROPS, depth="0")
    privs = {p[0].tag for p in propstats(resp, dav.path(dav.room))["200"]["{DAV:}current-user-privilege-set"]}
    assert "{DAV:}read" in privs and "{DAV:}write-content" not in privs and "{DAV:}bind" not in privs


def test_object_properties_at_depth_1(client, dav):
    appt = f.appointment([dav.room], uid="obj-1")
    resp = request(client, "PROPFIND", dav.path(dav.room), """<?xml version="1.0"?>
        <D:propfind xmlns:D="DAV:"><D:prop><D:getetag/><D:getcontenttype/><D:getcontentlength/>
        <D:getlastmodified/><D:resourcetype/></D:prop></D:propfind>""", depth="1")
    ok = propstats(resp, dav.path(dav.room, "obj-1.ics"))["200"]
    assert ok["{DAV:}getetag"].text == f'"{appt.etag}"'
    assert ok["{DAV:}getcontenttype"].text == "text/calendar; charset=utf-8; component=vevent"
    assert int(ok["{DAV:}getcontentlength"].text) == len(appt.ical.encode())
    assert ok["{DAV:}getlastmodified"].text.endswith("GMT")
    assert len(ok["{DAV:}resourcetype"]) == 0


def test_propname_and_allprop(client, dav):
    resp = request(client, "PROPFIND", dav.path(dav.room),
                   '<D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>', depth="0")
    names = set(propstats(resp, dav.path(dav.room))["200"])
    assert "{DAV:}resourcetype" in names and "{DAV:}sync-token" in names
    assert all(len(el) == 0 and not el.text for el in propstats(resp, dav.path(dav.room))["200"].values())
    resp = request(client, "PROPFIND", dav.path(dav.room), "", depth="0")  # empty body = allprop
    assert "{DAV:}displayname" in propstats(resp, dav.path(dav.room))["200"]


def test_prefer_return_minimal_and_brief_drop_404s(client, dav):
    body = '<D:propfind xmlns:D="DAV:"><D:prop><D:displayname/><D:nope/></D:prop></D:propfind>'
    for headers in ({"prefer": "return=minimal"}, {"brief": "t"}):
        resp = request(client, "PROPFIND", dav.path(dav.room), body, depth="0", **headers)
        assert set(propstats(resp, dav.path(dav.room))) == {"200"}


def _count_propfind(client, dav):
    with CaptureQueriesContext(connection) as ctx:
        resp = request(client, "PROPFIND", dav.path(dav.room), """<D:propfind xmlns:D="DAV:">
            <D:prop><D:getetag/><D:getcontentlength/></D:prop></D:propfind>""", depth="1")
    assert resp.status_code == 207
    return len(ctx.captured_queries), len(xml(resp).findall("D:response", NS))


def test_propfind_depth1_query_count_does_not_grow(client, dav):
    start = dt.datetime(2026, 1, 5, 9, tzinfo=f.BERLIN)
    for i in range(10):
        f.appointment([dav.room], start=start + dt.timedelta(days=i))
    _count_propfind(client, dav)  # the first request of a minute records "last used"
    q10, n10 = _count_propfind(client, dav)
    for i in range(10, 500):
        f.appointment([dav.room], start=start + dt.timedelta(days=i))
    q500, n500 = _count_propfind(client, dav)
    assert (n10, n500) == (11, 501)
    assert q500 == q10


def test_proppatch_stores_per_credential_and_refuses_others(client, dav):
    body = """<?xml version="1.0"?>
    <D:propertyupdate xmlns:D="DAV:" xmlns:I="http://apple.com/ns/ical/">
      <D:set><D:prop><D:displayname>Mein Raum</D:displayname><I:calendar-color>#FF0000FF</I:calendar-color>
      </D:prop></D:set></D:propertyupdate>"""
    resp = request(client, "PROPPATCH", dav.path(dav.room), body)
    assert resp.status_code == 207
    assert set(propstats(resp, dav.path(dav.room))["200"]) == {
        "{DAV:}displayname", "{http://apple.com/ns/ical/}calendar-color"}
    resp = request(client, "PROPFIND", dav.path(dav.room), '<D:propfind xmlns:D="DAV:" '
                   'xmlns:I="http://apple.com/ns/ical/"><D:prop><D:displayname/><I:calendar-color/>'
                   '</D:prop></D:propfind>', depth="0")
    ok = propstats(resp, dav.path(dav.room))["200"]
    assert ok["{DAV:}displayname"].text == "Mein Raum"
    assert ok["{http://apple.com/ns/ical/}calendar-color"].text == "#FF0000FF"
    dav.room.refresh_from_db()
    assert dav.room.name == "Refraktionsraum"  # the resource itself is untouched
    # a property we do not store: 403 for it, 424 for the rest, nothing stored
    body = """<D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>
      <D:displayname>Anders</D:displayname><C:calendar-description>x</C:calendar-description>
      </D:prop></D:set></D:propertyupdate>"""
    resp = request(client, "PROPPATCH", dav.path(dav.room), body)
    stats = propstats(resp, dav.path(dav.room))
    assert set(stats["403"]) == {C + "calendar-description"}
    assert set(stats["424"]) == {"{DAV:}displayname"}
    from caldav_endpoint.models import CalendarPreference

    assert CalendarPreference.objects.get().displayname == "Mein Raum"


@pytest.mark.parametrize("method,status", [("MKCALENDAR", 403), ("MKCOL", 403), ("MOVE", 403),
                                           ("COPY", 403), ("LOCK", 405), ("POST", 405)])
def test_refused_methods(client, dav, method, status):
    resp = request(client, method, dav.path(dav.room, "new/") if method.startswith("MK") else dav.path(dav.room))
    assert resp.status_code == status
