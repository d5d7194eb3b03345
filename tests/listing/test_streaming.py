"""D6, issue 13: listings are built from one query's rows and streamed, with a fixed number of queries.

PROPFIND Depth 1, the initial sync-collection and calendar-multiget write their multistatus
object by object (``caldav_endpoint.listing``); a body larger than one chunk is a
StreamingHttpResponse, a small one an ordinary response with Content-Length.
"""

from __future__ import annotations

import pytest
from django.http import StreamingHttpResponse
from lxml import etree

from tests.caldav.conftest import NS, body, request

from .conftest import fill

pytestmark = pytest.mark.django_db

PROPFIND = '<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/><D:getcontentlength/></D:prop></D:propfind>'
SYNC = ('<D:sync-collection xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:sync-token/>'
        "<D:sync-level>1</D:sync-level><D:prop><D:getetag/><D:getlastmodified/></D:prop></D:sync-collection>")


def multiget(dav, n: int) -> str:
    return ('<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/>'
            "<C:calendar-data/></D:prop>" + "".join(f"<D:href>{dav.path(dav.room, f'l{i}.ics')}</D:href>"
                                                    for i in range(n)) + "</C:calendar-multiget>")


def listing(client, dav, kind: str, n: int):
    if kind == "propfind":
        return request(client, "PROPFIND", dav.path(dav.room), PROPFIND, depth="1")
    if kind == "sync":
        return request(client, "REPORT", dav.path(dav.room), SYNC)
    return request(client, "REPORT", dav.path(dav.room), multiget(dav, n))


def responses(resp) -> dict[str, dict[str, str]]:
    """{href: {property: text}} of a multistatus."""
    out = {}
    for r in etree.fromstring(body(resp)).findall("D:response", NS):
        props = {el.tag: el.text for el in r.iterfind("D:propstat/D:prop/*", NS)}
        out[r.findtext("D:href", namespaces=NS)] = props
    return out


KINDS = ["propfind", "sync", "multiget"]


@pytest.mark.parametrize("kind", KINDS)
def test_query_count_is_the_same_at_10_and_200_objects(client, dav, small_chunks, kind,
                                                       django_assert_num_queries):
    # D6: the queries run while the body is streamed are counted too (the body is read inside the block)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    fill(dav.room, 0, 10)
    listing(client, dav, kind, 10)  # warm-up: the first request of a minute records "last used"
    with CaptureQueriesContext(connection) as ten:
        resp = listing(client, dav, kind, 10)
        assert len(responses(resp)) == 10 + (kind == "propfind")
    fill(dav.room, 10, 200)
    with django_assert_num_queries(len(ten)):
        resp = listing(client, dav, kind, 200)
        assert isinstance(resp, StreamingHttpResponse)
        assert len(responses(resp)) == 200 + (kind == "propfind")


@pytest.mark.parametrize("kind", KINDS)
def test_streamed_and_whole_bodies_say_the_same(client, dav, settings, monkeypatch, kind):
    from caldav_endpoint import listing as module

    fill(dav.room, 0, 30)
    whole = listing(client, dav, kind, 30)
    assert not whole.streaming and int(whole["Content-Length"]) == len(whole.content)
    settings.CALDAV_STREAM_CHUNK = 512
    monkeypatch.setattr(module, "BATCH", 2)
    streamed = listing(client, dav, kind, 30)
    assert streamed.status_code == 207 and streamed.streaming
    assert streamed["Content-Type"] == "application/xml; charset=utf-8"
    chunks = list(streamed.streaming_content)
    assert len(chunks) > 3
    assert b"".join(chunks) == whole.content  # byte for byte: chunking changes nothing


def test_listing_matches_the_single_object_answers(client, dav):
    # every object's ETag and size in the listing are what GET and PROPFIND Depth 0 of that object say
    fill(dav.room, 0, 5)
    listed = responses(listing(client, dav, "propfind", 5))
    for i in range(5):
        href = dav.path(dav.room, f"l{i}.ics")
        got = request(client, "GET", href)
        assert listed[href]["{DAV:}getetag"] == got["ETag"]
        assert listed[href]["{DAV:}getcontentlength"] == str(len(got.content))
        assert responses(request(client, "PROPFIND", href, PROPFIND, depth="0"))[href] == listed[href]


def test_missing_hrefs_and_unknown_properties(client, dav, small_chunks):
    fill(dav.room, 0, 3)
    body_ = ('<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:X="urn:x">'
             "<D:prop><D:getetag/><X:nope/></D:prop>"
             f"<D:href>{dav.path(dav.room, 'l0.ics')}</D:href><D:href>{dav.path(dav.room, 'gone.ics')}</D:href>"
             f"<D:href>/elsewhere/x.ics</D:href></C:calendar-multiget>")
    root = etree.fromstring(body(request(client, "REPORT", dav.path(dav.room), body_)))
    got = {r.findtext("D:href", namespaces=NS): [s.text for s in r.iterfind(".//D:status", NS)]
           for r in root.findall("D:response", NS)}
    assert got == {dav.path(dav.room, "l0.ics"): ["HTTP/1.1 200 OK", "HTTP/1.1 404 Not Found"],
                   dav.path(dav.room, "gone.ics"): ["HTTP/1.1 404 Not Found"],
                   "/elsewhere/x.ics": ["HTTP/1.1 404 Not Found"]}
    assert root.find(".//{urn:x}nope") is not None  # the unknown property, in the 404 propstat


def test_propfind_calendar_data_is_not_found_as_for_one_object(client, dav):
    fill(dav.room, 0, 2)
    req = '<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:calendar-data/>' \
          "</D:prop></D:propfind>"
    root = etree.fromstring(body(request(client, "PROPFIND", dav.path(dav.room), req, depth="1")))
    for r in root.findall("D:response", NS)[1:]:
        assert r.findtext("D:propstat/D:status", namespaces=NS) == "HTTP/1.1 404 Not Found"


def test_initial_sync_ends_with_the_token_and_honours_the_limit(client, dav, small_chunks):
    fill(dav.room, 0, 40)
    root = etree.fromstring(body(listing(client, dav, "sync", 40)))
    dav.room.refresh_from_db()
    assert len(root.findall("D:response", NS)) == 40
    assert root[-1].tag == "{DAV:}sync-token" and root[-1].text.endswith(f":{dav.room.sync_revision}")
    limited = SYNC.replace("<D:prop>", "<D:limit><D:nresults>10</D:nresults></D:limit><D:prop>")
    resp = request(client, "REPORT", dav.path(dav.room), limited)
    assert resp.status_code == 507 and b"number-of-matches-within-limits" in resp.content


def test_a_stream_the_client_abandons_is_closed_at_once(settings):
    # the server closes the response when it is done or the client went away; that must close the
    # listing (and its cursor) then, before Django ends the database connection, not later in the GC
    from caldav_endpoint import davxml

    settings.CALDAV_STREAM_CHUNK = 1024
    closed = []

    def pieces():
        try:
            for _ in range(1000):
                yield "<D:response/>" * 20
        finally:
            closed.append(True)

    resp = davxml.multistatus_body(pieces())
    assert resp.streaming
    assert next(iter(resp)).startswith(b"<?xml")
    resp.close()
    assert closed == [True]
