"""What the endpoint records (issue 14 B1): successes, sync polls and refusals, cheaply."""

import caldav
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from caldav_endpoint.models import DeviceHealth
from servicecreds import device_status
from servicecreds.models import ServiceCredential
from tests.caldav.conftest import PASSWORD, request

from .conftest import status_cell

DAVX5 = "DAVx5/4.4.1-ose (2024/06/12; dav4jvm; okhttp/4.12.0) Android/14"
CTAG_POLL = """<?xml version="1.0" encoding="utf-8"?>
<d:propfind xmlns:d="DAV:" xmlns:cs="http://calendarserver.org/ns/"><d:prop><cs:getctag/><d:sync-token/></d:prop>
</d:propfind>"""
VTODO = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Apple Inc.//iOS 18.1//EN\r\nBEGIN:VTODO\r\nUID:todo-1\r\n"
         "DTSTAMP:20261101T000000Z\r\nSUMMARY:Brille abholen\r\nEND:VTODO\r\nEND:VCALENDAR\r\n")


@pytest.mark.django_db(transaction=True)
def test_davx5_sync_shows_ok_with_client_and_time(live_server, dav, admin_client):
    client = caldav.DAVClient(url=live_server.url + "/", username="anna-phone", password=PASSWORD,
                              headers={"User-Agent": DAVX5})
    calendars = client.principal().calendars()
    assert calendars
    for cal in calendars:
        cal.objects_by_sync_token(load_objects=False)  # sync-collection REPORT
    state, title, text = status_cell(admin_client, "anna-phone")
    assert state == "ok"
    assert text == "OK, zuletzt gerade eben (DAVx5 4.4.1, Android 14)"
    cred = ServiceCredential.objects.get(username="anna-phone")
    assert title == timezone.localtime(cred.last_used_at).strftime("%d.%m.%Y %H:%M")  # local time
    assert DeviceHealth.objects.get(credential=cred).last_sync_at is not None


@pytest.mark.django_db
def test_twelve_wrong_passwords(client, dav, admin_client):
    for _ in range(12):
        assert request(client, "PROPFIND", "/caldav/anna-phone/", password="falsch", Depth="0").status_code == 401
    state, _title, text = status_cell(admin_client, "anna-phone")
    assert (state, text) == ("failing", "Fehler: Passwort falsch (12× in 24 Std.)")
    # the phone with the right password is OK again (its success is newer than the refusals)
    ServiceCredential.objects.filter(username="anna-phone").update(last_used_at=None)
    assert request(client, "PROPFIND", "/caldav/anna-phone/", Depth="0").status_code == 207
    assert status_cell(admin_client, "anna-phone")[0] == "ok"


@pytest.mark.django_db
def test_unknown_username_records_nothing(client, dav):
    assert request(client, "PROPFIND", "/caldav/nobody/", user="nobody", Depth="0").status_code == 401
    assert not DeviceHealth.objects.exists()


@pytest.mark.django_db
def test_refused_write_shows_its_reason(client, dav, admin_client):
    resp = request(client, "PUT", dav.path(dav.person, "todo-1.ics"), VTODO, content_type="text/calendar")
    assert resp.status_code == 403
    state, _title, text = status_cell(admin_client, "anna-phone")
    assert (state, text) == ("failing", "Fehler: Aufgaben nicht unterstützt (1× in 24 Std.)")
    health = DeviceHealth.objects.get(credential=dav.credential)
    assert health.last_refusal_code == "unsupported_component"
    assert health.last_refusal_detail  # the contract's sentence, for the change page


@pytest.mark.django_db
def test_at_most_one_health_write_per_minute(client, dav):
    request(client, "PROPFIND", "/caldav/anna-phone/", Depth="0")  # warm up: verified-password cache
    ServiceCredential.objects.filter(pk=dav.credential.pk).update(last_used_at=None)
    with CaptureQueriesContext(connection) as queries:
        for _ in range(20):
            resp = request(client, "PROPFIND", dav.path(dav.person), CTAG_POLL, Depth="0")
            assert resp.status_code == 207
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].split()[0] in ("UPDATE", "INSERT")]
    assert len(writes) == 2, writes  # one last_used_at, one last_sync_at, for 20 requests
    assert any("servicecreds_servicecredential" in w for w in writes)
    assert any("caldav_endpoint_devicehealth" in w for w in writes)
    assert device_status.health_of(ServiceCredential.objects.get(pk=dav.credential.pk)).last_sync_at


@pytest.mark.django_db
def test_a_worker_asks_the_shared_sync_gate_once_a_minute(client, dav, monkeypatch):
    """Issue 13: a ctag poll every few seconds costs no cache round trip; a minute later the next poll
    is recorded again (the time shown stays fresh)."""
    import types

    from django.core.cache import cache

    from caldav_endpoint import health
    from servicecreds import near_cache

    now = [1000.0]
    monkeypatch.setattr(near_cache, "time", types.SimpleNamespace(monotonic=lambda: now[0]))
    asked = []
    monkeypatch.setattr(health, "cache", types.SimpleNamespace(add=lambda *a: asked.append(a) or cache.add(*a)))
    for _ in range(5):
        assert request(client, "PROPFIND", dav.path(dav.person), CTAG_POLL, Depth="0").status_code == 207
    assert len(asked) == 1
    first = DeviceHealth.objects.get(credential=dav.credential).last_sync_at
    now[0] += health.SYNC_RESOLUTION + 1
    cache.delete(asked[0][0])  # the shared entry expired too
    assert request(client, "PROPFIND", dav.path(dav.person), CTAG_POLL, Depth="0").status_code == 207
    assert len(asked) == 2
    assert DeviceHealth.objects.get(credential=dav.credential).last_sync_at > first
