"""The status column, its filter and ``manage.py devicehealth`` from timestamps set directly (issue 14 B2, B3)."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from caldav_endpoint.models import DeviceHealth
from servicecreds import device_status
from servicecreds.models import ServiceCredential
from tests.caldav.conftest import make_credential

from .conftest import LIST_URL, status_cell

pytestmark = pytest.mark.django_db

DAVX5 = "DAVx5/4.4.1-ose (2024/06/12; dav4jvm; okhttp/4.12.0) Android/14"
IOS = "iOS/18.1 (22B83) dataaccessd/1.0"


def credential(dav, username, *, used=None, agent="", refused=None, code="", count=0, confirmed=True):
    cred = make_credential(dav.employee.user, dav.branch, username=username, confirmed=confirmed)
    ServiceCredential.objects.filter(pk=cred.pk).update(last_used_at=used, last_user_agent=agent)
    if refused:
        DeviceHealth.objects.create(credential=cred, last_refusal_at=refused, last_refusal_code=code,
                                    refusals_since=refused, refusals_count=count)
    return ServiceCredential.objects.select_related("device_health").get(pk=cred.pk)


@pytest.fixture
def devices(dav):
    now = timezone.now()
    return {
        "ok": credential(dav, "ok-phone", used=now - dt.timedelta(minutes=5), agent=IOS),
        "never": credential(dav, "new-phone"),
        "stale": credential(dav, "old-phone", used=now - dt.timedelta(days=3, hours=1), agent=DAVX5),
        "failing": credential(dav, "bad-phone", used=now - dt.timedelta(hours=2), agent=DAVX5,
                              refused=now - dt.timedelta(minutes=1), code="wrong_password", count=12),
        "recovered": credential(dav, "fixed-phone", used=now - dt.timedelta(minutes=1), agent=DAVX5,
                                refused=now - dt.timedelta(minutes=30), code="wrong_password", count=3),
        "quiet": credential(dav, "drawer-phone", used=now - dt.timedelta(days=10), confirmed=False),
    }


def test_texts_in_plain_language(devices):
    now = timezone.now()
    text = {k: device_status.status(c, now).text for k, c in devices.items()}
    assert text["ok"] == "OK, zuletzt vor 5 Min. (iPhone/iPad, iOS 18.1)"
    assert text["never"] == "Noch nie verbunden"
    assert text["stale"] == "Seit 3 Tagen keine Synchronisation"
    assert text["failing"] == "Fehler: Passwort falsch (12× in 24 Std.)"
    assert text["recovered"] == "OK, zuletzt vor 1 Min. (DAVx5 4.4.1, Android 14)"


def test_filter_agrees_with_the_column(devices):
    # one rule in Python and as a query: every credential is in exactly the filter its column names
    now = timezone.now()
    for state in device_status.STATES:
        in_filter = set(device_status.filter_state(ServiceCredential.objects.all(), state)
                        .values_list("username", flat=True))
        by_column = {c.username for c in ServiceCredential.objects.select_related("device_health")
                     if device_status.state(c, now) == state}
        assert in_filter == by_column, state
    assert device_status.state(devices["failing"], now) == device_status.FAILING
    assert device_status.state(devices["quiet"], now) == device_status.BLOCKED  # unconfirmed: the access rule first


def test_list_column_and_filter(admin_client, devices):
    state, title, text = status_cell(admin_client, "bad-phone")
    assert (state, text) == ("failing", "Fehler: Passwort falsch (12× in 24 Std.)")
    # the exact time is in local time (Europe/Berlin), on hover
    when = timezone.localtime(devices["failing"].device_health.last_refusal_at)
    assert title == when.strftime("%d.%m.%Y %H:%M")
    for value, usernames in [("ok", {"ok-phone", "fixed-phone"}), ("never", {"new-phone", "anna-phone"}),
                             ("stale", {"old-phone"}), ("failing", {"bad-phone"}), ("blocked", {"drawer-phone"})]:
        cl = admin_client.get(f"{LIST_URL}?sync={value}").context["cl"]
        assert {c.username for c in cl.result_list} == usernames, value
    choices = admin_client.get(LIST_URL).content.decode()  # the filter's choices
    assert "nie verbunden" in choices and "?sync=blocked" in choices and "Gesperrt" in choices


def test_change_page_lists_last_events(admin_client, devices):
    cred = devices["failing"]
    page = admin_client.get(f"{LIST_URL}{cred.pk}/change/").content.decode()
    assert 'class="device-events"' in page
    assert "Letzte Ablehnung: Benutzername oder Passwort ist falsch. [wrong_password], von" in page
    assert "Letzte erfolgreiche Anfrage, von DAVx5 4.4.1, Android 14" in page
    refused = timezone.localtime(cred.device_health.last_refusal_at).strftime("%d.%m.%Y %H:%M")
    assert f"<li>{refused}: Letzte Ablehnung" in page


def test_devicehealth_lists_stale_and_failing_devices(devices):
    out = io.StringIO()
    call_command("devicehealth", stdout=out)
    lines = out.getvalue().splitlines()
    by_user = {line.split("\t")[0]: line for line in lines}
    # B3: unused for 3 days, and failing; not the fine ones, not a never-used one, not an unconfirmed one
    assert set(by_user) == {"old-phone", "bad-phone"}
    assert by_user["old-phone"].endswith("Seit 3 Tagen keine Synchronisation")
    assert "Hamburg" in by_user["bad-phone"] and "Passwort falsch" in by_user["bad-phone"]
    out = io.StringIO()
    call_command("devicehealth", "--stale-days", "5", stdout=out)
    assert [line.split("\t")[0] for line in out.getvalue().splitlines()] == ["bad-phone"]


def test_devicehealth_is_silent_when_all_is_well(dav):
    credential(dav, "fine-phone", used=timezone.now(), agent=IOS)
    out = io.StringIO()
    call_command("devicehealth", stdout=out)
    assert out.getvalue() == ""


def test_refusal_window_of_24_hours(dav):
    now = timezone.now()
    cred = credential(dav, "x-phone", refused=now - dt.timedelta(hours=25), code="expired", count=4)
    assert device_status.status(cred, now).text == "Fehler: abgelaufen (vor 1 Tag)"


def test_list_queries_do_not_grow_with_the_number_of_credentials(admin_client, devices, dav):
    with CaptureQueriesContext(connection) as few:
        admin_client.get(LIST_URL)
    now = timezone.now()
    for n in range(6):
        credential(dav, f"more-{n}", used=now, agent=IOS, refused=now - dt.timedelta(hours=1),
                   code="expired", count=1)
    with CaptureQueriesContext(connection) as many:
        admin_client.get(LIST_URL)
    assert len(many) == len(few)
