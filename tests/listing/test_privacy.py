"""V1 in streamed listings: each object at the level ``access.privacy_for`` gives it, chosen in the query.

A colleague's phone gets the redacted text, its size and its ETag (``etag_no_customer`` /
``etag_busy``), read-only; the employee's own appointment arrives complete and writable,
in the same streamed multistatus.
"""

from __future__ import annotations

import datetime as dt

import pytest
from lxml import etree

from branches.models import Privacy
from scheduler.models import Appointment
from tests import factories as f
from tests.caldav.conftest import NS, body, request

from .conftest import START

pytestmark = pytest.mark.django_db

PROPFIND = ('<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/><D:getcontentlength/><D:current-user-privilege-set/>'
            "</D:prop></D:propfind>")
SYNC = ('<D:sync-collection xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:sync-token/>'
        "<D:sync-level>1</D:sync-level><D:prop><D:getetag/><C:calendar-data/></D:prop></D:sync-collection>")


def objects(resp_or_body) -> dict[str, dict]:
    raw = resp_or_body if isinstance(resp_or_body, bytes) else body(resp_or_body)
    out = {}
    for r in etree.fromstring(raw).findall("D:response", NS):
        href = r.findtext("D:href", namespaces=NS)
        if not href.endswith("/"):  # the calendar itself
            out[href.rsplit("/", 1)[1]] = {el.tag: el for el in r.iterfind("D:propstat/D:prop/*", NS)}
    return out


def writable(props: dict) -> bool:
    privileges = props["{DAV:}current-user-privilege-set"]
    return privileges.find("D:privilege/D:write-content", NS) is not None


@pytest.fixture
def room_with_others(world, small_chunks):
    """Anna's eye test in the room, plus 12 room bookings of nobody's person calendar."""
    for i in range(12):
        f.appointment([world.room], uid=f"room-{i}", customer_name="Max Mustermann", title="",
                      appointment_type=world.sehtest, start=START + dt.timedelta(hours=i))
    return world


def _expected(appt: Appointment, level: str) -> tuple[str, str]:
    if level == Privacy.FULL:
        return appt.etag, appt.ical
    return getattr(appt, f"etag_{level}"), getattr(appt, f"ical_{level}")


@pytest.mark.parametrize("level", [Privacy.NO_CUSTOMER, Privacy.BUSY])
def test_colleague_lists_redacted_objects_own_employee_lists_hers_complete(client, room_with_others, level):
    world = room_with_others
    world.room.privacy = level
    world.room.save()
    appts = {b.name: Appointment.objects.get(pk=b.appointment_id) for b in world.room.bookings.all()}
    for user in ("ben-phone", "anna-phone"):
        cal = world.path(user, world.room)
        listed = request(client, "PROPFIND", cal, PROPFIND, depth="1", user=user)
        synced = request(client, "REPORT", cal, SYNC, user=user)
        assert listed.streaming and synced.streaming
        listed, synced = objects(listed), objects(synced)
        assert set(listed) == set(synced) == set(appts)
        for name, appt in appts.items():
            own = user == "anna-phone" and appt.pk == world.appt.pk
            etag, text = _expected(appt, Privacy.FULL if own else level)
            assert listed[name]["{DAV:}getetag"].text == synced[name]["{DAV:}getetag"].text == f'"{etag}"'
            assert listed[name]["{DAV:}getcontentlength"].text == str(len(text.encode()))
            assert synced[name]["{urn:ietf:params:xml:ns:caldav}calendar-data"].text == text
            assert writable(listed[name]) == own
            if not own:
                assert "Mustermann" not in text


def test_multiget_of_a_colleague_gets_the_redacted_object(client, room_with_others):
    world = room_with_others
    names = [b.name for b in world.room.bookings.all()]
    hrefs = "".join(f"<D:href>{world.path('ben-phone', world.room, n)}</D:href>" for n in names)
    req = ('<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/>'
           f"<C:calendar-data/></D:prop>{hrefs}</C:calendar-multiget>")
    resp = request(client, "REPORT", world.path("ben-phone", world.room), req, user="ben-phone")
    assert resp.streaming
    raw = body(resp)
    assert b"Mustermann" not in raw
    got = objects(raw)
    assert len(got) == len(names)
    for name, props in got.items():
        appt = Appointment.objects.get(bookings__resource=world.room, bookings__name=name)
        assert props["{DAV:}getetag"].text == f'"{appt.etag_no_customer}"'
        assert props["{urn:ietf:params:xml:ns:caldav}calendar-data"].text == appt.ical_no_customer
