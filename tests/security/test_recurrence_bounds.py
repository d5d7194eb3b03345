"""Bounded recurrence (R1): no series makes unbounded work, at any door or in any read.

Counts instances generated in Python (``ical.Budget``), not seconds: the
refusal of second/minute-wise series is checked to cost little CPU, and a
stored long daily series keeps every read path under a fixed instance count.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token

from scheduler import contract, ical, services
from scheduler.models import Appointment, Change, Occurrence
from tests.caldav.conftest import event
from tests.caldav.conftest import request as dav_request

pytestmark = pytest.mark.django_db
UTC = dt.timezone.utc
QUERY = ("<C:calendar-query xmlns:D='DAV:' xmlns:C='urn:ietf:params:xml:ns:caldav'><D:prop><D:getetag/>{data}</D:prop>"
         "<C:filter><C:comp-filter name='VCALENDAR'><C:comp-filter name='VEVENT'>"
         "<C:time-range start='{start}' end='{end}'/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>")
EXPAND = "<C:calendar-data><C:expand start='{start}' end='{end}'/></C:calendar-data>"
FREEBUSY = ("<C:free-busy-query xmlns:C='urn:ietf:params:xml:ns:caldav'><C:time-range start='{start}' end='{end}'/>"
            "</C:free-busy-query>")


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def spent(monkeypatch):
    """The largest number of instances any one request's budget was charged."""
    record = {"max": 0}
    original = ical.Budget.charge

    def charge(self, n=1):
        original(self, n)
        record["max"] = max(record["max"], self.used)

    monkeypatch.setattr(ical.Budget, "charge", charge)
    return record


def counts() -> tuple:
    return Appointment.objects.count(), Occurrence.objects.count(), Change.objects.count()


@pytest.mark.parametrize("rule", ["FREQ=SECONDLY", "FREQ=SECONDLY;COUNT=10000000", "FREQ=MINUTELY;UNTIL=20361231T000000Z",
                                  "FREQ=MINUTELY;COUNT=100000"])
def test_second_and_minute_series_are_refused_cheaply_at_caldav_and_api(dav, client, rule):
    before, cpu = counts(), time.process_time()
    resp = dav_request(client, "PUT", dav.path(dav.person, "fast.ics"), event(uid="fast", extra=f"RRULE:{rule}\r\n"),
                       content_type="text/calendar")
    assert resp.status_code == 403 and b"valid-calendar-data" in resp.content
    admin = get_user_model().objects.create_superuser("chef", "c@example.com", "x")
    resp = client.post("/api/appointments/", {"branch": dav.branch.pk, "resources": [dav.person.pk],
                                              "ical": event(uid="fast2", extra=f"RRULE:{rule}\r\n")},
                       content_type="application/json", HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=admin)}")
    assert resp.status_code == 400 and resp.json()["code"] == "recurrence_refused"
    assert time.process_time() - cpu < 1.0  # refused before any expansion
    assert counts() == before


def test_a_setting_may_allow_minutely_series(settings):
    settings.SCHEDULER_ALLOW_FREQUENT_RECURRENCE = True
    contract.check_fields(title="t", notes="", place="", rrule="FREQ=MINUTELY;COUNT=5")


def test_index_stops_at_the_cap_while_generating(dav, monkeypatch):
    monkeypatch.setattr(ical, "MAX_INDEXED_OCCURRENCES", 500)
    appt = services.create_appointment(branch=dav.branch, resources=[dav.person], title="Serie",
                                       start=dt.datetime(2026, 1, 1, 9, tzinfo=UTC),
                                       end=dt.datetime(2026, 1, 1, 10, tzinfo=UTC), rrule="FREQ=DAILY;COUNT=100000")
    assert appt.occurrences.count() == 500
    assert appt.last_end is None and appt.occurrences_until == dt.datetime(2027, 5, 16, 8, tzinfo=UTC)  # CEST


@pytest.fixture
def long_series(dav, monkeypatch):
    """A stored daily series of 100 000 instances; its rows end after 500, so reads past them expand."""
    monkeypatch.setattr(ical, "MAX_INDEXED_OCCURRENCES", 500)
    return services.create_appointment(branch=dav.branch, resources=[dav.person], title="Serie",
                                       start=dt.datetime(2026, 1, 1, 9, tzinfo=UTC),
                                       end=dt.datetime(2026, 1, 1, 10, tzinfo=UTC), rrule="FREQ=DAILY;COUNT=100000")


WEEK = ("20300107T000000Z", "20300114T000000Z")  # past the occurrence rows: Python expansion
MONTH = ("20300101T000000Z", "20300201T000000Z")
YEARS = ("20290101T000000Z", "20320101T000000Z")


@pytest.mark.parametrize(("body", "rng", "expected", "bound"), [
    (QUERY.format(data="", start=WEEK[0], end=WEEK[1]), WEEK, 207, 20),
    (QUERY.format(data=EXPAND.format(start=MONTH[0], end=MONTH[1]), start=MONTH[0], end=MONTH[1]), MONTH, 207, 100),
    (FREEBUSY.format(start=YEARS[0], end=YEARS[1]), YEARS, 200, 1200),
], ids=["week-query", "month-expand", "three-years-free-busy"])
def test_reads_of_a_long_series_generate_a_bounded_number_of_instances(dav, client, long_series, spent, body, rng,
                                                                       expected, bound):
    resp = dav_request(client, "REPORT", dav.path(dav.person), body, HTTP_DEPTH="1")
    assert resp.status_code == expected, resp.content[:500]
    assert 0 < spent["max"] <= bound
    if "expand" in body:
        assert resp.content.count(b"RECURRENCE-ID") > 25  # the month's instances are there


def test_rest_range_of_a_long_series_is_bounded(dav, client, long_series, spent):
    admin = get_user_model().objects.create_superuser("chef", "c@example.com", "x")
    resp = client.get("/api/appointments/?start=2030-01-07T00:00:00Z&end=2030-01-14T00:00:00Z",
                      HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=admin)}")
    assert resp.status_code == 200 and [a["id"] for a in resp.json()["results"]] == [long_series.pk]
    assert 0 < spent["max"] <= 20


def test_a_request_over_its_budget_is_refused_not_stalled(dav, client, long_series, monkeypatch):
    monkeypatch.setattr(ical, "REQUEST_EXPANSION_BUDGET", 100)
    monkeypatch.setattr(ical.Budget.__init__, "__defaults__", (100,))
    resp = dav_request(client, "REPORT", dav.path(dav.person), FREEBUSY.format(start=YEARS[0], end=YEARS[1]),
                       HTTP_DEPTH="1")
    assert resp.status_code == 507 and b"number-of-matches-within-limits" in resp.content
