"""The own calendar comes first (issue 14 B5).

Some clients make the first calendar they discover the default for new events;
a real client discovering from the bare address once made the room "Hörkabine"
the default. The home lists the credential's own person calendar first, every
calendar carries an Apple calendar-order that sorts it first, and the principal
and the home name it as RFC 6638 §9.2 schedule-default-calendar-URL.
"""

import caldav
import pytest

from tests import factories as f

from .conftest import NS, PASSWORD, hrefs, propstats, request

C = "{urn:ietf:params:xml:ns:caldav}"
ORDER = "{http://apple.com/ns/ical/}calendar-order"
DEFAULT = C + "schedule-default-calendar-URL"

ORDER_AND_NAME = """<?xml version="1.0"?>
<D:propfind xmlns:D="DAV:" xmlns:I="http://apple.com/ns/ical/">
 <D:prop><D:displayname/><D:resourcetype/><I:calendar-order/></D:prop>
</D:propfind>"""
DEFAULT_CALENDAR = """<?xml version="1.0"?>
<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
 <D:prop><C:schedule-default-calendar-URL/><C:calendar-home-set/></D:prop>
</D:propfind>"""


@pytest.fixture
def rooms(dav):
    """Rooms whose names sort before and around the employee's own calendar ("Anna Becker")."""
    return {"akustik": f.room(dav.branch, name="Akustikraum"), "hoer": f.room(dav.branch, name="Hörkabine"),
            "zentral": f.room(dav.branch, name="Zentrallager")}


def orders(resp, paths):
    return [int(propstats(resp, p)["200"][ORDER].text) for p in paths]


@pytest.mark.django_db
def test_home_lists_own_calendar_first_then_rooms_by_name(client, dav, rooms):
    resp = request(client, "PROPFIND", "/caldav/anna-phone/", ORDER_AND_NAME, depth="1")
    assert resp.status_code == 207
    expected = [dav.path(dav.person), dav.path(rooms["akustik"]), dav.path(rooms["hoer"]),
                dav.path(dav.room), dav.path(rooms["zentral"])]  # "Hörkabine" sorts as "Horkabine" (DIN 5007-1)
    assert hrefs(resp) == ["/caldav/anna-phone/"] + expected
    numbers = orders(resp, expected)
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    assert numbers[0] == min(numbers)  # the own calendar has the lowest calendar-order


@pytest.mark.django_db
def test_calendar_order_is_the_same_at_depth_0(client, dav, rooms):
    listing = request(client, "PROPFIND", "/caldav/anna-phone/", ORDER_AND_NAME, depth="1")
    single = request(client, "PROPFIND", dav.path(rooms["hoer"]), ORDER_AND_NAME, depth="0")
    assert orders(single, [dav.path(rooms["hoer"])]) == orders(listing, [dav.path(rooms["hoer"])])


@pytest.mark.django_db
def test_a_clients_own_order_is_kept(client, dav, rooms):
    body = """<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:I="http://apple.com/ns/ical/">
      <D:set><D:prop><I:calendar-order>-7</I:calendar-order></D:prop></D:set></D:propertyupdate>"""
    assert request(client, "PROPPATCH", dav.path(rooms["zentral"]), body).status_code == 207
    resp = request(client, "PROPFIND", "/caldav/anna-phone/", ORDER_AND_NAME, depth="1")
    assert orders(resp, [dav.path(rooms["zentral"])]) == [-7]
    assert hrefs(resp)[1] == dav.path(dav.person)  # the listing order itself stays ours


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/principals/anna-phone/", "/caldav/anna-phone/"])
def test_schedule_default_calendar_url_names_the_own_calendar(client, dav, rooms, path):
    resp = request(client, "PROPFIND", path, DEFAULT_CALENDAR, depth="0")
    prop = propstats(resp, path)["200"][DEFAULT]
    assert prop.findtext("D:href", namespaces=NS) == dav.path(dav.person)


@pytest.mark.django_db
def test_no_own_calendar_no_default(client, dav, rooms):
    dav.person.sync_allowed = False
    dav.person.save()
    resp = request(client, "PROPFIND", "/principals/anna-phone/", DEFAULT_CALENDAR, depth="0")
    assert DEFAULT in propstats(resp, "/principals/anna-phone/")["404"]
    listing = request(client, "PROPFIND", "/caldav/anna-phone/", ORDER_AND_NAME, depth="1")
    assert hrefs(listing)[1] == dav.path(rooms["akustik"])


@pytest.mark.django_db(transaction=True)
def test_python_caldav_from_the_bare_address_sees_the_own_calendar_first(live_server, dav, rooms):
    client = caldav.DAVClient(url=live_server.url + "/", username="anna-phone", password=PASSWORD)
    calendars = client.principal().calendars()
    assert str(calendars[0].url).endswith(dav.path(dav.person))
    assert calendars[0].get_display_name() == "Anna Becker"
