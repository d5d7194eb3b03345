"""Issue 13: a listing's response shape without constant properties is built once per process
(``listing._plain_template``) and shared by the requests that have the same calendar path, properties
and ``minimal``; nothing of one request's shape reaches another's."""

from __future__ import annotations

import pytest
from lxml import etree

from caldav_endpoint import listing
from tests.caldav.conftest import NS, body, request

pytestmark = pytest.mark.django_db
C = "urn:ietf:params:xml:ns:caldav"


def multiget(client, world, user: str, *, extra: str = "", **headers) -> etree._Element:
    href = world.path(user, world.room, world.name)
    req = (f'<C:calendar-multiget xmlns:D="DAV:" xmlns:C="{C}"><D:prop><D:getetag/>{extra}</D:prop>'
           f"<D:href>{href}</D:href></C:calendar-multiget>")
    resp = request(client, "REPORT", world.path(user, world.room), req, user=user, **headers)
    assert resp.status_code == 207, resp.content
    return etree.fromstring(body(resp))


@pytest.fixture
def room(world):
    world.room.privacy = "full"  # both phones receive the room's objects complete: the same shape
    world.room.save()
    listing._plain_template.cache_clear()
    return world


def test_each_credential_gets_its_own_hrefs_from_a_shared_shape(client, room):
    for user in ("anna-phone", "ben-phone", "anna-phone"):
        root = multiget(client, room, user)
        assert root.findtext("D:response/D:href", namespaces=NS) == room.path(user, room.room, room.name)
    info = listing._plain_template.cache_info()
    assert info.misses == 2 and info.hits == 1  # one shape per calendar path, reused by the third request


@pytest.mark.parametrize("first", [True, False])
def test_minimal_and_complete_answers_do_not_share_a_shape(client, room, first):
    """``Prefer: return=minimal`` drops the 404 propstat; whichever comes first, the other keeps its own."""
    missing = "<D:displayname/>"  # an object has no display name
    order = [{"prefer": "return=minimal"}, {}] if first else [{}, {"prefer": "return=minimal"}]
    for headers in order:
        root = multiget(client, room, "anna-phone", extra=missing, **headers)
        statuses = [s.split()[1] for s in (e.text for e in root.iterfind(".//D:propstat/D:status", NS))]
        assert statuses == (["200"] if headers else ["200", "404"])
