"""P2 for series, from the time index: a weekly series' conflicts cost one short index range per instance.

``contract.find_conflicts`` reads occurrences by time (index ``occurrence_by_time``; the few
longer than a day by ``occurrence_long``), never the envelope of a whole series, and each
candidate's appointment and bookings by key in the same statement.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scheduler import contract, services

from .conftest import obj


def put(resource, name: str, text: str):
    return services.store_object(resource, name, text, branch=resource.branch)[0]


@pytest.mark.django_db
def test_a_series_meeting_a_series_is_flagged_and_one_between_its_instances_is_not(calendars):
    anna, _ben = calendars
    put(anna, "weekly.ics", obj("w@test", "20261201T090000Z", "20261201T100000Z", "Teamrunde",
                                "RRULE:FREQ=WEEKLY;COUNT=52\n"))
    between = put(anna, "between.ics", obj("x@test", "20261202T090000Z", "20261202T100000Z", "Mittwoch",
                                           "RRULE:FREQ=WEEKLY;COUNT=52\n"))
    assert not between.has_conflict  # every Wednesday, the series is on Tuesdays
    late = put(anna, "late.ics", obj("y@test", "20270601T093000Z", "20270601T094500Z", "Kurz",
                                     "RRULE:FREQ=MONTHLY;COUNT=3\n"))
    assert late.has_conflict  # its first instance falls on a Tuesday of the weekly series, half a year in
    assert [c.other_title for c in late.conflicts] == ["Teamrunde"]


@pytest.mark.django_db
def test_a_long_occurrence_is_found_though_it_starts_days_before(calendars):
    anna, _ben = calendars
    put(anna, "seminar.ics", obj("s@test", "20261130T080000Z", "20261204T160000Z", "Seminar"))
    inside = put(anna, "inside.ics", obj("i@test", "20261203T100000Z", "20261203T110000Z"))
    assert [c.other_title for c in inside.conflicts] == ["Seminar"]


@pytest.mark.django_db
def test_conflicts_of_a_long_series_are_read_in_a_few_queries(calendars):
    anna, _ben = calendars
    put(anna, "a.ics", obj("a@test", "20270105T090000Z", "20270105T100000Z"))
    start = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
    spans = [(start + dt.timedelta(weeks=k), start + dt.timedelta(weeks=k, hours=1)) for k in range(150)]
    with CaptureQueriesContext(connection) as queries:
        found = contract.find_conflicts(spans, [anna])
    assert [c.other_title for c in found] == ["Sehtest"]
    assert len(queries.captured_queries) == 2  # two chunks of the time index, each with its bookings by key
