"""sync-collection (RFC 6578), calendar-multiget (§7.9), free-busy-query (§7.10) and query counts (D6)."""

import datetime as dt

import caldav
import icalendar
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scheduler import services
from scheduler.models import Appointment, Resource
from tests import factories as f
from tests.caldav.conftest import NS, PASSWORD, event, hrefs, propstats, request, xml

from . import data

UTC = dt.timezone.utc


def sync_body(token="", limit=None, props="<D:getetag/>"):
    lim = f"<D:limit><D:nresults>{limit}</D:nresults></D:limit>" if limit else ""
    return f"""<?xml version="1.0" encoding="utf-8"?>
<D:sync-collection xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:sync-token>{token}</D:sync-token><D:sync-level>1</D:sync-level>{lim}<D:prop>{props}</D:prop>
</D:sync-collection>"""


def sync(client, dav, token="", limit=None, resource=None):
    resp = request(client, "REPORT", dav.path(resource or dav.person), sync_body(token, limit))
    return resp, (xml(resp).findtext("D:sync-token", namespaces=NS) if resp.status_code == 207 else None)


def statuses(resp) -> dict[str, str]:
    out = {}
    for r in xml(resp).findall("D:response", NS):
        status = r.findtext("D:status", namespaces=NS)
        out[r.findtext("D:href", namespaces=NS)] = status.split()[1] if status else "200"
    return out


@pytest.mark.django_db
def test_initial_then_incremental_sync(client, dav):
    a = f.appointment([dav.person], uid="a")
    b = f.appointment([dav.person], uid="b")
    resp, token = sync(client, dav)
    assert set(hrefs(resp)) == {dav.path(dav.person, "a.ics"), dav.path(dav.person, "b.ics")}
    assert token.startswith("urn:terminsync:sync:")  # a URI (Evolution)
    etag = propstats(resp, dav.path(dav.person, "a.ics"))["200"]["{DAV:}getetag"].text
    assert etag == f'"{a.etag}"'
    # nothing changed: empty answer, same token
    resp, same = sync(client, dav, token)
    assert hrefs(resp) == [] and same == token
    # modify a (admin path), delete b, create c through CalDAV
    a.title = "neu"
    services.save_appointment(a)
    services.delete_appointment(b)
    request(client, "PUT", dav.path(dav.person, "c.ics"), event(uid="c"), content_type="text/calendar")
    resp, token2 = sync(client, dav, token)
    assert statuses(resp) == {dav.path(dav.person, "a.ics"): "200", dav.path(dav.person, "b.ics"): "404",
                              dav.path(dav.person, "c.ics"): "200"}
    a.refresh_from_db()
    assert propstats(resp, dav.path(dav.person, "a.ics"))["200"]["{DAV:}getetag"].text == f'"{a.etag}"'
    assert token2 != token


@pytest.mark.django_db
def test_move_to_another_resource_is_deletion_there_and_creation_here(client, dav):
    appt = f.appointment([dav.person], uid="move")
    _, person_token = sync(client, dav)
    _, room_token = sync(client, dav, resource=dav.room)
    services.save_appointment(appt, resources=[dav.room])
    resp, _ = sync(client, dav, person_token)
    assert statuses(resp) == {dav.path(dav.person, "move.ics"): "404"}
    resp, _ = sync(client, dav, room_token, resource=dav.room)
    assert statuses(resp) == {dav.path(dav.room, "move.ics"): "200"}


@pytest.mark.django_db
def test_invalid_foreign_and_pruned_tokens_are_refused(client, dav):
    f.appointment([dav.person], uid="x")
    _, room_token = sync(client, dav, resource=dav.room)
    _, token = sync(client, dav)
    for bad in ("garbage", "urn:terminsync:sync:other:1", room_token, token.rsplit(":", 1)[0] + ":999"):
        resp, _ = sync(client, dav, bad)
        assert resp.status_code == 403, bad
        assert xml(resp).find("D:valid-sync-token", NS) is not None
    Resource.objects.filter(pk=dav.person.pk).update(sync_floor=5)  # change log pruned up to 5
    resp, _ = sync(client, dav, token.rsplit(":", 1)[0] + ":1")
    assert resp.status_code == 403


@pytest.mark.django_db
def test_limit_returns_partial_token_and_507_then_the_rest(client, dav):
    _, token = sync(client, dav)
    for i in range(5):
        f.appointment([dav.person], uid=f"l{i}")
    resp, partial = sync(client, dav, token, limit=2)
    st = statuses(resp)
    assert st.pop(dav.path(dav.person)) == "507"  # RFC 6578 §3.6
    assert set(st) == {dav.path(dav.person, "l0.ics"), dav.path(dav.person, "l1.ics")}
    assert partial != token
    resp, rest = sync(client, dav, partial, limit=10)
    assert set(statuses(resp)) == {dav.path(dav.person, f"l{i}.ics") for i in (2, 3, 4)}
    resp, _ = sync(client, dav, rest)
    assert hrefs(resp) == []
    # an initial sync larger than the limit is refused rather than truncated silently
    resp, _ = sync(client, dav, "", limit=2)
    assert resp.status_code == 507
    assert xml(resp).find("D:number-of-matches-within-limits", NS) is not None


@pytest.mark.django_db
def test_sync_token_and_ctag_properties_agree_with_report(client, dav):
    f.appointment([dav.person], uid="p")
    _, token = sync(client, dav)
    resp = request(client, "PROPFIND", dav.path(dav.person), """<D:propfind xmlns:D="DAV:"
        xmlns:CS="http://calendarserver.org/ns/"><D:prop><D:sync-token/><CS:getctag/></D:prop></D:propfind>""",
                   depth="0")
    ok = propstats(resp, dav.path(dav.person))["200"]
    assert ok["{DAV:}sync-token"].text == token == ok["{http://calendarserver.org/ns/}getctag"].text


@pytest.mark.django_db
def test_multiget_ios_style_with_missing_and_foreign_hrefs(client, dav):
    a = f.appointment([dav.person], uid="m1")
    f.appointment([dav.room], uid="in-room")
    body = f"""<?xml version="1.0" encoding="UTF-8"?>
<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/><C:calendar-data/></D:prop>
  <D:href>{dav.path(dav.person, "m1.ics")}</D:href>
  <D:href>{dav.path(dav.person, "missing.ics")}</D:href>
  <D:href>{dav.path(dav.room, "in-room.ics")}</D:href>
</C:calendar-multiget>"""
    resp = request(client, "REPORT", dav.path(dav.person), body, depth="1")
    assert statuses(resp) == {dav.path(dav.person, "m1.ics"): "200", dav.path(dav.person, "missing.ics"): "404",
                              dav.path(dav.room, "in-room.ics"): "404"}
    ok = propstats(resp, dav.path(dav.person, "m1.ics"))["200"]
    assert ok["{urn:ietf:params:xml:ns:caldav}calendar-data"].text == a.ical
    assert ok["{DAV:}getetag"].text == f'"{a.etag}"'


@pytest.mark.django_db
def test_free_busy_of_a_room(client, dav):
    for text in data.ALL.values():
        services.create_appointment(branch=dav.branch, resources=[dav.room], ical_text=text)
    body = """<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav">
      <C:time-range start="20261025T000000Z" end="20261027T000000Z"/></C:free-busy-query>"""
    resp = request(client, "REPORT", dav.path(dav.room), body, depth="1")
    assert resp.status_code == 200 and resp["Content-Type"].startswith("text/calendar")
    fb = icalendar.Calendar.from_ical(resp.content).walk("VFREEBUSY")[0]
    periods = fb.get("FREEBUSY")
    periods = periods if isinstance(periods, list) else [periods]
    got = sorted((p.params["FBTYPE"], p.dt[0], p.dt[1]) for p in periods)
    assert got == [
        ("BUSY", dt.datetime(2026, 10, 26, 7, tzinfo=UTC), dt.datetime(2026, 10, 26, 7, 30, tzinfo=UTC)),  # floating
        ("BUSY-TENTATIVE", dt.datetime(2026, 10, 26, 0, tzinfo=UTC), dt.datetime(2026, 10, 26, 1, tzinfo=UTC)),
    ]  # the cancelled one is free; no summaries leak
    assert b"Telefonat" not in resp.content


def _report_queries(client, dav, body):
    request(client, "REPORT", dav.path(dav.person), body)  # warm-up: records "last used" once a minute
    with CaptureQueriesContext(connection) as ctx:
        resp = request(client, "REPORT", dav.path(dav.person), body)
    assert resp.status_code == 207
    return len(ctx.captured_queries), len(hrefs(resp))


@pytest.mark.django_db
def test_report_query_counts_do_not_grow_with_objects(client, dav):
    def fill(frm, to):
        for i in range(frm, to):
            f.appointment([dav.person], uid=f"q{i}", start=dt.datetime(2026, 1, 5, 9, tzinfo=f.BERLIN)
                          + dt.timedelta(hours=i))
    _, token = sync(client, dav)
    fill(0, 10)

    def bodies(n):
        multiget = ("<C:calendar-multiget xmlns:D='DAV:' xmlns:C='urn:ietf:params:xml:ns:caldav'><D:prop>"
                    "<D:getetag/><C:calendar-data/></D:prop>"
                    + "".join(f"<D:href>{dav.path(dav.person, f'q{i}.ics')}</D:href>" for i in range(n))
                    + "</C:calendar-multiget>")
        query = ("<C:calendar-query xmlns:D='DAV:' xmlns:C='urn:ietf:params:xml:ns:caldav'><D:prop><D:getetag/>"
                 "</D:prop><C:filter><C:comp-filter name='VCALENDAR'><C:comp-filter name='VEVENT'>"
                 "<C:time-range start='20260101T000000Z' end='20270101T000000Z'/></C:comp-filter></C:comp-filter>"
                 "</C:filter></C:calendar-query>")
        return {"multiget": multiget, "query": query, "initial sync": sync_body(), "incremental sync": sync_body(token)}

    small = {k: _report_queries(client, dav, b) for k, b in bodies(10).items()}
    fill(10, 500)
    large = {k: _report_queries(client, dav, b) for k, b in bodies(500).items()}
    assert {k: v[1] for k, v in small.items()} == {"multiget": 10, "query": 10, "initial sync": 10,
                                                  "incremental sync": 10}
    assert {k: v[1] for k, v in large.items()} == {"multiget": 500, "query": 500, "initial sync": 500,
                                                  "incremental sync": 500}
    assert {k: v[0] for k, v in large.items()} == {k: v[0] for k, v in small.items()}


@pytest.mark.django_db(transaction=True)
def test_caldav_client_objects_by_sync_token(live_server, dav):
    a = f.appointment([dav.person], uid="s1")
    f.appointment([dav.person], uid="s2")
    client = caldav.DAVClient(url=live_server.url + "/", username="anna-phone", password=PASSWORD)
    cal = client.calendar(url=f"{live_server.url}{dav.path(dav.person)}")
    first = cal.objects_by_sync_token(load_objects=True)
    assert sorted(str(o.icalendar_component["UID"]) for o in first) == ["s1", "s2"]
    a.title = "Im Admin geändert"
    services.save_appointment(a)  # admin path
    cal.save_event(event(uid="s3"))  # CalDAV path
    services.delete_appointment(Appointment.objects.get(uid="s2"))
    changed = cal.objects_by_sync_token(sync_token=first.sync_token, load_objects=False)
    urls = {str(o.url).rsplit("/", 1)[1]: o for o in changed}
    assert set(urls) == {"s1.ics", "s2.ics", "s3.ics"}
    assert changed.sync_token != first.sync_token
    again = cal.objects_by_sync_token(sync_token=changed.sync_token, load_objects=False)
    assert list(again) == []


@pytest.mark.django_db
def test_pruned_change_log_makes_old_tokens_start_over(client, dav):
    from django.core.management import call_command

    from scheduler.models import Change

    f.appointment([dav.person], uid="old")
    _, old_token = sync(client, dav, "")
    Change.objects.update(at=dt.datetime(2020, 1, 1, tzinfo=UTC))
    _, token = sync(client, dav)
    f.appointment([dav.person], uid="new")
    Change.objects.filter(appointment__uid="new").update(at=dt.datetime(2026, 11, 1, tzinfo=UTC))
    # an initial-sync token taken before the old entries must not get a partial answer after pruning
    f.appointment([dav.person], uid="middle")
    first_rev_token = token.rsplit(":", 1)[0] + ":0"
    call_command("prunechanges", keep_days=30)
    assert list(Change.objects.filter(resource=dav.person).values_list("revision", flat=True)) == [2, 3]
    dav.person.refresh_from_db()
    assert dav.person.sync_floor == 1
    resp, _ = sync(client, dav, first_rev_token)
    assert resp.status_code == 403 and xml(resp).find("D:valid-sync-token", NS) is not None
    resp, _ = sync(client, dav, old_token)  # revision 1 = the floor: everything after it is still logged
    assert set(statuses(resp)) == {dav.path(dav.person, "new.ics"), dav.path(dav.person, "middle.ics")}


def test_a_multigets_own_plain_hrefs_are_named_as_each_would_be(client, dav):
    """``names_from_hrefs`` takes a multiget of our own plain hrefs in one match; any other list goes href by
    href. Both give each href the name ``_name`` gives it."""
    from types import SimpleNamespace

    from caldav_endpoint.context import CALENDAR, Target, path_segments
    from caldav_endpoint.reports import common

    base = dav.path(dav.person)
    ctx = SimpleNamespace(target=Target(CALENDAR, base, resource=dav.person),
                          calendar_path=lambda resource: dav.path(resource))
    parent = [s.lower() for s in path_segments(base)]
    plain = [base + n for n in ("a.ics", "b@x.ics", "c~d_e-f.ICS", "1", "x" * 255)]
    lists = [
        plain, plain[:2], [*plain, plain[0]],
        [*plain, base + "x" * 256],  # too long for a name
        [*plain, base + ".hidden.ics"], [*plain, base + "sp ace.ics"], [*plain, " " + plain[0]],
        [*plain, plain[0] + "\n" + plain[1]], [*plain, base + "a%40b.ics"], [*plain, base + "a/b.ics"],
        [*plain, base + "../other/a.ics"], [*plain, base + "a.ics?x=1"], [*plain, dav.path(dav.room) + "a.ics"],
        [*plain, base], [*plain, ""], [base.upper() + "a.ics", *plain],
    ]
    for asked in lists:
        assert common.names_from_hrefs(ctx, asked) == {h: common._name(base, parent, h) for h in asked}, asked
