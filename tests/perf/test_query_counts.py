"""Issue 13, "cut the fixed cost": a warm phone request authenticates, decides and resolves in one query.

Through real URL routing and the whole middleware stack (Django's test client). "Warm" means
one request of the same credential before: the verified-password cache and the access rule's
inputs (``servicecreds.decision_cache``) are filled, and the once-a-minute "last used" and
sync-poll writes have happened. Speed itself is measured by ``bench/request_overhead.py``,
never by a timed test.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scheduler.models import Booking
from tests import factories as f
from tests.caldav.conftest import PASSWORD, auth, request

CTAG_POLL = ('<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:" '
             'xmlns:cs="http://calendarserver.org/ns/"><d:prop><cs:getctag/><d:sync-token/></d:prop></d:propfind>')
DISCOVERY = ('<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:" '
             'xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:current-user-principal/><c:calendar-home-set/>'
             '<d:displayname/><d:resourcetype/></d:prop></d:propfind>')
WRITES = ("INSERT", "UPDATE", "DELETE")


def warm_queries(client, method: str, path: str, body: str = "", **headers) -> list[str]:
    """The SQL of the second of two identical requests (the first warms the caches)."""
    first = request(client, method, path, body, **headers)
    with CaptureQueriesContext(connection) as queries:
        second = request(client, method, path, body, **headers)
    assert second.status_code == first.status_code
    assert second.status_code in (200, 207), second.content
    return [q["sql"] for q in queries.captured_queries]


def object_path(dav) -> str:
    appt = f.appointment([dav.person], uid="perf-1")
    return dav.path(dav.person, Booking.objects.get(appointment=appt, resource=dav.person).name)


# D2: what an iPhone polls: the ctag and the sync token of a calendar, read with the login in one statement
@pytest.mark.django_db
def test_ctag_poll_in_one_query(client, dav):
    queries = warm_queries(client, "PROPFIND", dav.path(dav.person), CTAG_POLL, depth="0")
    assert len(queries) == 1, queries
    assert '"sync_revision"' in queries[0] and '"servicecreds_servicecredential"' in queries[0]
    # the slug is unique: the calendar's subqueries neither sort nor join the branches (Resource's ordering)
    assert "ORDER BY" not in queries[0].upper() and '"branches_branch"' not in queries[0]
    assert not [q for q in queries if q.startswith(WRITES)]


# A GET of an object: the object is read ahead with the login (``selectors.read_ahead_columns``)
@pytest.mark.django_db
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_get_of_one_object_in_one_query(client, dav, method):
    path = object_path(dav)
    queries = warm_queries(client, method, path)
    assert len(queries) == 1, queries
    assert '"servicecreds_servicecredential"' in queries[0] and '"scheduler_booking"' in queries[0]
    appt = Booking.objects.get(resource=dav.person, name=path.rsplit("/", 1)[1]).appointment
    resp = request(client, method, path)
    assert resp["ETag"] == f'"{appt.etag}"' and resp["Last-Modified"]
    assert resp.content == (b"" if method == "HEAD" else appt.ical.encode())
    assert int(resp["Content-Length"]) == len(appt.ical.encode())
    with CaptureQueriesContext(connection) as queries:
        resp = request(client, "GET", path, if_none_match=f'"{appt.etag}"')
    assert resp.status_code == 304 and len(queries) == 1


@pytest.mark.django_db
def test_a_name_read_ahead_is_decoded_as_resolution_decodes_it(client, dav):
    appt = f.appointment([dav.person], uid="perf-enc", names={dav.person.pk: "Sehtest für Frau Ö.ics"})
    path = dav.path(dav.person, "Sehtest%20f%C3%BCr%20Frau%20%C3%96.ics")
    assert len(warm_queries(client, "GET", path)) == 1
    resp = request(client, "GET", path)
    assert resp.status_code == 200 and resp.content == Booking.objects.get(appointment=appt).appointment.ical.encode()


@pytest.mark.django_db
def test_a_read_ahead_of_another_spelling_of_the_calendar_is_not_taken_for_its_answer(client, dav):
    """The hint takes the calendar's segment as sent; resolution decodes it. "%61" is "a": the read ahead
    finds no such calendar, so the object is read again, not answered 404."""
    path = object_path(dav)
    user, slug, name = path.strip("/").split("/")[1:]
    encoded = f"/caldav/{user}/%{ord(slug[0]):02X}{slug[1:]}/{name}"
    resp = client.generic("GET", encoded, RAW_URI=encoded, **auth("anna-phone", PASSWORD))  # as gunicorn passes it
    assert resp.status_code == 200, resp.content
    assert resp.content == Booking.objects.get(resource=dav.person, name=name).appointment.ical.encode()


@pytest.mark.django_db
def test_a_missing_object_read_ahead_is_a_404_in_one_query(client, dav):
    object_path(dav)
    request(client, "GET", dav.path(dav.person, "missing.ics"))
    with CaptureQueriesContext(connection) as queries:
        resp = request(client, "GET", dav.path(dav.person, "missing.ics"))
    assert resp.status_code == 404 and len(queries) == 1


@pytest.mark.django_db
def test_an_object_read_ahead_is_still_decided_by_the_rule(client, dav):
    """The login reads the object another branch's room holds (its slug and name are in the path), but
    resolution answers 404 and nothing of it leaves the server."""
    other = f.resource(f.branch(code="yy", name="Anderswo"), name="Raum anderswo", kind="location")
    f.appointment([other], uid="elsewhere-1", title="Geheimer Termin", names={other.pk: "geheim.ics"})
    resp = request(client, "GET", dav.path(other, "geheim.ics"))
    assert resp.status_code == 404
    assert b"Geheim" not in resp.content and b"elsewhere" not in resp.content


@pytest.mark.django_db
def test_ctag_poll_of_a_room_in_one_query(client, dav):
    queries = warm_queries(client, "PROPFIND", dav.path(dav.room), CTAG_POLL, depth="0")
    assert len(queries) == 1, queries


@pytest.mark.django_db
def test_a_calendar_read_ahead_with_the_login_is_still_decided_by_the_rule(client, dav):
    """The slug in the path is only a hint for the login's statement: another branch's room stays a 404
    and its counters appear nowhere."""
    other = f.resource(f.branch(code="xx", name="Anderswo"), name="Raum anderswo", kind="location")
    f.appointment([other], uid="elsewhere")
    other.refresh_from_db()
    resp = request(client, "PROPFIND", dav.path(other), CTAG_POLL, depth="0")
    assert resp.status_code == 404
    assert f"{other.slug}:{other.sync_revision}".encode() not in resp.content


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/principals/anna-phone/", "/caldav/anna-phone/"])
def test_discovery_propfind_depth0_in_two_queries(client, dav, path):
    queries = warm_queries(client, "PROPFIND", path, DISCOVERY, depth="0")
    assert len(queries) <= 2, queries
    assert not [q for q in queries if q.startswith(WRITES)]


@pytest.mark.django_db
def test_options_needs_no_query(client, dav, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert request(client, "OPTIONS", dav.path(dav.person), user=None).status_code == 200


@pytest.mark.django_db
def test_the_ctag_is_read_fresh_although_the_calendar_is_cached(client, dav):
    """The cached resources carry no change counters: a write through the writer (an UPDATE, no
    signal) shows in the very next poll."""
    before = request(client, "PROPFIND", dav.path(dav.person), CTAG_POLL, depth="0").content
    f.appointment([dav.person], uid="perf-2")
    after = request(client, "PROPFIND", dav.path(dav.person), CTAG_POLL, depth="0").content
    assert before != after
    assert b"urn:terminsync:sync:" in after


@pytest.mark.django_db
def test_get_of_a_colleagues_room_booking_in_two_queries_and_redacted(client, dav):
    """The level is chosen in the same query as the object (``selectors.object_rows``), not by a second one."""
    dav.room.privacy = "no_customer"  # the fixture's rooms are complete; this one hides customers
    dav.room.save()
    appt = f.appointment([dav.room], uid="perf-room-1")
    appt.refresh_from_db()
    assert appt.etag_no_customer and appt.etag_no_customer != appt.etag
    path = dav.path(dav.room, Booking.objects.get(appointment=appt, resource=dav.room).name)
    queries = warm_queries(client, "GET", path)
    assert len(queries) <= 2, queries
    resp = request(client, "GET", path)
    assert resp["ETag"] == f'"{appt.etag_no_customer}"'
    assert resp.content.decode() == appt.ical_no_customer


# A multiget or a calendar-query names no sync token: no read of the calendar's counters of its own.
MULTIGET = ('<?xml version="1.0" encoding="utf-8"?><C:calendar-multiget xmlns:D="DAV:" '
            'xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop>'
            '<D:href>{}</D:href><D:href>{}</D:href></C:calendar-multiget>')
WEEK = ('<?xml version="1.0" encoding="utf-8"?><C:calendar-query xmlns:D="DAV:" '
        'xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop><C:filter>'
        '<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">'
        '<C:time-range start="20261123T000000Z" end="20261130T000000Z"/></C:comp-filter></C:comp-filter>'
        '</C:filter></C:calendar-query>')


@pytest.mark.django_db
@pytest.mark.parametrize("report", ["multiget", "week"])
def test_a_multiget_and_a_week_query_in_two_queries(client, dav, report):
    first, second = object_path(dav), dav.path(dav.person, "missing.ics")
    body = MULTIGET.format(first, second) if report == "multiget" else WEEK
    queries = warm_queries(client, "REPORT", dav.path(dav.person), body, depth="1")
    assert len(queries) == 2, queries  # the login (with the calendar's counters) and the objects' read
    assert not [q for q in queries if q.startswith(WRITES)]


@pytest.mark.django_db
@pytest.mark.parametrize(("segment", "status"), [
    ("x" * 10_000, 404), ("%C3%A4%FF", 404), ("'; --", 404), ("\u00e4" * 300, 404),
    ("%00", 400), ("a%00b", 400),  # an encoded control character is refused before any query
])
def test_a_hostile_calendar_segment_read_ahead_with_the_login_answers_4xx(client, dav, segment, status):
    """The slug goes into the login's statement as a parameter: whatever the path holds (very long, an
    encoded NUL, broken UTF-8), the answer is a 4xx on both databases, not an error, and nothing is written."""
    calendar = dav.path(dav.person).rstrip("/").rsplit("/", 1)[0] + f"/{segment}/"
    with CaptureQueriesContext(connection) as queries:
        resp = request(client, "PROPFIND", calendar, CTAG_POLL, depth="0")
    assert resp.status_code == status, resp.content[:300]
    assert not [q["sql"] for q in queries.captured_queries if q["sql"].startswith(("INSERT", "DELETE"))]
