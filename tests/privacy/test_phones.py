"""V1: a colleague's phone receives room bookings without customer data (or busy only); search cannot
reveal what is hidden; a redacted object is read-only. Raw HTTP, every door that hands out objects."""

from __future__ import annotations

import datetime as dt

import pytest
from lxml import etree

from branches.models import Privacy
from scheduler import services
from scheduler.models import Appointment, Booking, Change
from tests.caldav.conftest import NS, hrefs, propstats, request, xml

pytestmark = pytest.mark.django_db
C = "{urn:ietf:params:xml:ns:caldav}"
NOVEMBER = '<C:time-range start="20261101T000000Z" end="20261201T000000Z"/>'
WHEN = "20261124T100000"  # DTSTART;TZID=Europe/Berlin of Anna's eye test


def query_body(inner: str = NOVEMBER) -> str:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/><C:calendar-data/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">{inner}</C:comp-filter></C:comp-filter>
  </C:filter></C:calendar-query>"""


def multiget_body(href: str) -> str:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/><C:calendar-data/></D:prop><D:href>{href}</D:href></C:calendar-multiget>"""


SYNC_BODY = """<?xml version="1.0" encoding="utf-8"?>
<D:sync-collection xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/><C:calendar-data/></D:prop>
</D:sync-collection>"""


def fetch(client, world, door: str, user: str) -> tuple[bytes, str]:
    """The raw response body and the ETag that ``user``'s phone gets for the room booking through ``door``."""
    cal = world.path(user, world.room)
    href = world.path(user, world.room, world.name)
    if door == "GET":
        resp = request(client, "GET", href, user=user)
        assert resp.status_code == 200
        return resp.content, resp["ETag"]
    body = {"calendar-query": query_body(), "multiget": multiget_body(href), "sync-collection": SYNC_BODY}[door]
    resp = request(client, "REPORT", cal, body, user=user)
    assert resp.status_code == 207, resp.content
    ok = propstats(resp, href)["200"]
    return resp.content, ok["{DAV:}getetag"].text


def calendar_data(content: bytes) -> str:
    return etree.fromstring(content).findtext(f".//{C}calendar-data")


DOORS = ["GET", "calendar-query", "multiget", "sync-collection"]


@pytest.mark.parametrize("door", DOORS)
def test_colleague_gets_type_time_and_room_but_no_customer(client, world, door):
    # V1 (default "Ohne Kundendaten"): Ben sees that the room is taken for an eye test, never by whom
    content, etag = fetch(client, world, door, "ben-phone")
    text = content.decode()
    assert "SUMMARY:Sehtest\r\n" in (text if door == "GET" else calendar_data(content))
    assert WHEN in text and "Refraktionsraum" in text
    assert "Mustermann" not in text and "K-4711" not in text and "040 123456" not in text
    world.appt.refresh_from_db()
    assert etag == f'"{world.appt.etag_no_customer}"' != f'"{world.appt.etag}"'


@pytest.mark.parametrize("door", DOORS)
def test_own_employee_gets_everything(client, world, door):
    # Anna is booked in it: complete, in the room calendar too, with the stored object's ETag
    content, etag = fetch(client, world, door, "anna-phone")
    assert "Mustermann" in content.decode()
    assert "DESCRIPTION:Mustermann bringt die alte Brille mit" in (
        content.decode() if door == "GET" else calendar_data(content))
    assert etag == f'"{world.appt.etag}"'


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("level", [Privacy.FULL, Privacy.NO_CUSTOMER, Privacy.BUSY])
def test_each_level_at_each_door(client, world, door, level):
    world.branch.privacy = level
    world.branch.save()
    content, etag = fetch(client, world, door, "ben-phone")
    text = content.decode()
    data = text if door == "GET" else calendar_data(content)
    assert WHEN in data
    world.appt.refresh_from_db()
    if level == Privacy.FULL:
        assert "Mustermann" in data and etag == f'"{world.appt.etag}"'
    elif level == Privacy.NO_CUSTOMER:
        assert "SUMMARY:Sehtest" in data and "LOCATION:Refraktionsraum" in data and "Mustermann" not in text
        assert etag == f'"{world.appt.etag_no_customer}"'
    else:
        assert "SUMMARY:Belegt" in data and "CLASS:CONFIDENTIAL" in data
        assert "Sehtest" not in text and "Refraktionsraum" not in data and "Mustermann" not in text
        assert etag == f'"{world.appt.etag_busy}"'


def test_switching_the_branch_to_busy_changes_the_colleagues_etags(client, world):
    before_content, before = fetch(client, world, "GET", "ben-phone")
    anna_before = fetch(client, world, "GET", "anna-phone")[1]
    world.branch.privacy = Privacy.BUSY
    world.branch.save()
    content, after = fetch(client, world, "GET", "ben-phone")
    assert after != before and b"SUMMARY:Belegt" in content and b"Sehtest" not in content
    assert fetch(client, world, "GET", "anna-phone")[1] == anna_before  # own appointment: unchanged
    # the same ETag in a listing (PROPFIND Depth 1), without loading full objects
    resp = request(client, "PROPFIND", world.path("ben-phone", world.room),
                   '<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/><D:getcontentlength/></D:prop></D:propfind>',
                   user="ben-phone", depth="1")
    ok = propstats(resp, world.path("ben-phone", world.room, world.name))["200"]
    assert ok["{DAV:}getetag"].text == after
    assert int(ok["{DAV:}getcontentlength"].text) == len(content)


def test_switching_the_level_is_reported_to_synced_phones(client, world):
    # D6: a phone that syncs by token learns that its redacted objects changed
    resp = request(client, "REPORT", world.path("ben-phone", world.room), SYNC_BODY, user="ben-phone")
    token = xml(resp).findtext("D:sync-token", namespaces=NS)
    world.branch.privacy = Privacy.BUSY
    world.branch.save()
    resp = request(client, "REPORT", world.path("ben-phone", world.room),
                   SYNC_BODY.replace("<D:sync-token/>", f"<D:sync-token>{token}</D:sync-token>"), user="ben-phone")
    assert resp.status_code == 207
    assert hrefs(resp) == [world.path("ben-phone", world.room, world.name)]
    assert "SUMMARY:Belegt" in calendar_data(resp.content)


def test_a_resource_overrides_its_branch(client, world):
    world.room.privacy = Privacy.FULL
    world.room.save()
    assert b"Mustermann" in fetch(client, world, "GET", "ben-phone")[0]
    world.branch.privacy = Privacy.FULL
    world.room.privacy = Privacy.BUSY
    world.branch.save()
    world.room.save()
    assert b"SUMMARY:Belegt" in fetch(client, world, "GET", "ben-phone")[0]


@pytest.mark.parametrize("prop", ["SUMMARY", "DESCRIPTION", "LOCATION"])
def test_search_cannot_reveal_what_is_hidden(client, world, prop):
    # V1: a text-match filters the object as the phone receives it, not the stored one
    match = f'<C:prop-filter name="{prop}"><C:text-match>Mustermann</C:text-match></C:prop-filter>'
    ben = request(client, "REPORT", world.path("ben-phone", world.room), query_body(match), user="ben-phone")
    assert ben.status_code == 207 and hrefs(ben) == []
    assert b"Mustermann" not in ben.content
    anna = request(client, "REPORT", world.path("anna-phone", world.room), query_body(match), user="anna-phone")
    assert hrefs(anna) == [world.path("anna-phone", world.room, world.name)]
    # what Ben does see can be searched for
    seen = '<C:prop-filter name="SUMMARY"><C:text-match>Sehtest</C:text-match></C:prop-filter>'
    ben = request(client, "REPORT", world.path("ben-phone", world.room), query_body(seen), user="ben-phone")
    assert hrefs(ben) == [world.path("ben-phone", world.room, world.name)]


def snapshot(world) -> tuple:
    appt = Appointment.objects.get(pk=world.appt.pk)
    return (appt.ical, appt.etag, appt.deleted_at, Change.objects.count(),
            sorted(Booking.objects.filter(appointment=appt, deleted_at__isnull=True).values_list("resource_id",
                                                                                                  flat=True)))


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_a_redacted_object_is_read_only(client, world, method):
    before = snapshot(world)
    href = world.path("ben-phone", world.room, world.name)
    _content, etag = fetch(client, world, "GET", "ben-phone")
    body = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\nBEGIN:VEVENT\r\nUID:erika-1\r\n"
            "DTSTAMP:20261101T000000Z\r\nDTSTART:20261124T090000Z\r\nDTEND:20261124T100000Z\r\nSUMMARY:Sehtest\r\n"
            "END:VEVENT\r\nEND:VCALENDAR\r\n") if method == "PUT" else ""
    resp = request(client, method, href, body, user="ben-phone", content_type="text/calendar", if_match=etag)
    assert resp.status_code == 403
    assert xml(resp).find("D:need-privileges", NS) is not None
    assert snapshot(world) == before


def test_a_calendar_with_redacted_objects_takes_no_new_ones(client, world):
    body = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\nBEGIN:VEVENT\r\nUID:new-1\r\n"
            "DTSTAMP:20261101T000000Z\r\nDTSTART:20261125T090000Z\r\nDTEND:20261125T100000Z\r\nSUMMARY:x\r\n"
            "END:VEVENT\r\nEND:VCALENDAR\r\n")
    resp = request(client, "PUT", world.path("ben-phone", world.room, "new-1.ics"), body, user="ben-phone",
                   content_type="text/calendar")
    assert resp.status_code == 403 and xml(resp).find("D:need-privileges", NS) is not None
    assert not Appointment.objects.filter(uid="new-1").exists()
    # the own calendar takes them, as ever
    resp = request(client, "PUT", world.path("ben-phone", world.ben_cal, "new-1.ics"), body, user="ben-phone",
                   content_type="text/calendar")
    assert resp.status_code == 201


def privileges(client, world, user, path) -> set[str]:
    resp = request(client, "PROPFIND", path, '<D:propfind xmlns:D="DAV:"><D:prop><D:current-user-privilege-set/>'
                   '</D:prop></D:propfind>', user=user, depth="0")
    return {p[0].tag.split("}")[1] for p in propstats(resp, path)["200"]["{DAV:}current-user-privilege-set"]}


def test_privilege_sets_say_what_is_writable(client, world):
    # RFC 3744 §5.4: DAVx5, Thunderbird and Evolution mark such calendars read-only
    room = privileges(client, world, "ben-phone", world.path("ben-phone", world.room))
    assert "read" in room and not {"bind", "unbind", "write-content"} & room
    obj = privileges(client, world, "ben-phone", world.path("ben-phone", world.room, world.name))
    assert "read" in obj and "write-content" not in obj
    own = privileges(client, world, "ben-phone", world.path("ben-phone", world.ben_cal))
    assert {"bind", "write-content"} <= own
    world.branch.privacy = Privacy.FULL
    world.branch.save()
    assert {"bind", "write-content"} <= privileges(client, world, "ben-phone", world.path("ben-phone", world.room))


def test_anna_may_still_change_her_booking_in_the_room_calendar(client, world):
    href = world.path("anna-phone", world.room, world.name)
    assert "write-content" in privileges(client, world, "anna-phone", href)
    text = world.appt.ical.replace("SUMMARY:Sehtest – Erika Mustermann", "SUMMARY:Sehtest – E. Mustermann")
    resp = request(client, "PUT", href, text, user="anna-phone", content_type="text/calendar",
                   if_match=f'"{world.appt.etag}"')
    assert resp.status_code == 204, resp.content
    world.appt.refresh_from_db()
    assert world.appt.title == "Sehtest – E. Mustermann"


def test_free_busy_still_shows_the_busy_time(client, world):
    world.branch.privacy = Privacy.BUSY
    world.branch.save()
    resp = request(client, "REPORT", world.path("ben-phone", world.room),
                   '<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav">'
                   '<C:time-range start="20261124T000000Z" end="20261125T000000Z"/></C:free-busy-query>',
                   user="ben-phone")
    assert resp.status_code == 200
    assert b"FBTYPE=BUSY" in resp.content and b"20261124T090000Z/20261124T100000Z" in resp.content
    assert b"Mustermann" not in resp.content and b"Sehtest" not in resp.content


def test_the_writer_keeps_redacted_etags_current(world):
    # a change of the appointment (here: its type) changes what colleagues receive, and its ETag
    old = world.appt.etag_no_customer
    world.appt.appointment_type = world.sehtest.__class__.objects.create(branch=world.branch, name="Hörtest")
    services.save_appointment(world.appt)
    world.appt.refresh_from_db()
    assert world.appt.etag_no_customer != old
    assert "SUMMARY:Hörtest" in world.appt.ical_no_customer


def test_redaction_costs_no_query_per_object(client, world):
    # D6: listings of a room calendar with redacted objects need a fixed number of queries
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests import factories as f

    def count() -> int:
        with CaptureQueriesContext(connection) as q:
            resp = request(client, "REPORT", world.path("ben-phone", world.room), SYNC_BODY, user="ben-phone")
        assert resp.status_code == 207
        return len(q)

    count()  # warm-up: the first request of a credential records its device (health)
    few = count()
    for day in range(1, 9):
        f.appointment([world.anna_cal, world.room], customer_name="Max Mustermann", title="",
                      start=world.appt.start + dt.timedelta(days=day))
    assert count() == few


def test_one_listing_with_both_levels_gives_each_object_its_own(client, world):
    """Anna's phone lists the room: her booking complete, Ben's customer redacted, interleaved in one
    response (rendered a batch at a time, each kind with its template) and each with its own ETag."""
    from tests import factories as f

    ben_appts = [f.appointment([world.ben_cal, world.room], uid=f"ben-{i}", customer_name=f"Kundin Nummer{i}",
                               start=dt.datetime(2026, 11, 20 + i, 9, 0, tzinfo=f.BERLIN)) for i in range(3)]
    names = {a.uid: Booking.objects.get(appointment=a, resource=world.room).name for a in [world.appt, *ben_appts]}
    cal = world.path("anna-phone", world.room)
    body = ('<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/>'
            "<C:calendar-data/></D:prop>"
            + "".join(f"<D:href>{world.path('anna-phone', world.room, names[u])}</D:href>"
                      for u in ["ben-0", "erika-1", "ben-1", "ben-2"]) + "</C:calendar-multiget>")
    asked = [world.path("anna-phone", world.room, names[u]) for u in ["ben-0", "erika-1", "ben-1", "ben-2"]]
    multiget = request(client, "REPORT", cal, body, user="anna-phone")
    assert [r.findtext("D:href", namespaces=NS) for r in xml(multiget).findall("D:response", NS)] == asked
    for resp in (multiget, request(client, "REPORT", cal, query_body(), user="anna-phone")):
        assert resp.status_code == 207
        for uid, name in names.items():
            ok = propstats(resp, world.path("anna-phone", world.room, name))["200"]
            data = ok[f"{C}calendar-data"].text
            appt = Appointment.objects.get(uid=uid)
            assert f"UID:{uid}" in data
            if uid == "erika-1":
                assert "Mustermann" in data and ok["{DAV:}getetag"].text == f'"{appt.etag}"'
            else:
                assert "Kundin" not in data and ok["{DAV:}getetag"].text == f'"{appt.etag_no_customer}"'
