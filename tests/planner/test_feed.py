"""The planner's feed: every occurrence where it happens, from the occurrence table (issue 11)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scheduler import selectors, services
from scheduler.models import Appointment
from tests import factories as f
from tests.planner.world import local, shop, superuser, weekly_series

pytestmark = pytest.mark.django_db
FEED = "/admin/planner/feed/"


@pytest.fixture
def world():
    return shop()


@pytest.fixture
def chef(client):
    client.force_login(superuser())
    return client


def feed(client, branch, start: str, end: str) -> dict:
    resp = client.get(FEED, {"branch": branch.pk, "start": start, "end": end})
    assert resp.status_code == 200, resp.content
    return resp.json()


def by_title(data: dict, title: str) -> list[dict]:
    return [e for e in data["events"] if e["title"] == title]


def test_series_across_dst_exdate_and_moved_instance(chef, world):
    # Tuesdays 09:00 from 13 Oct 2026; DST ends 25 Oct; week 2 (27 Oct) excluded; week 3 moved to Wed 11:00.
    services.create_appointment(branch=world.branch, resources=[world.anna], timezone="Europe/Berlin",
                                ical_text=weekly_series("s1@test", local(2026, 10, 13, 9), exdate_week=2, moved_week=3))
    data = feed(chef, world.branch, "2026-10-12", "2026-11-16")
    events = sorted(data["events"], key=lambda e: e["start"])
    # the same wall-clock time before and after the DST change; none on the EXDATE; the moved one on its new day
    assert [e["start"] for e in events] == ["2026-10-13T09:00:00", "2026-10-20T09:00:00", "2026-11-04T11:00:00",
                                            "2026-11-10T09:00:00"]
    assert [e["extendedProps"]["occurrence"] for e in events] == [
        "2026-10-13T07:00:00+00:00", "2026-10-20T07:00:00+00:00", "2026-11-04T10:00:00+00:00",
        "2026-11-10T08:00:00+00:00"]
    assert all(e["extendedProps"]["recurring"] for e in events)
    data = feed(chef, world.branch, "2026-10-26", "2026-11-02")
    assert data["events"] == []  # the EXDATE week


def test_all_day_and_multi_resource(chef, world):
    f.appointment([world.anna], title="Inventur", all_day=True, start=local(2026, 11, 24), end=local(2026, 11, 26))
    f.appointment([world.anna, world.room], title="Sehtest", start=local(2026, 11, 24, 10))
    data = feed(chef, world.branch, "2026-11-23", "2026-11-28")
    [inventur] = by_title(data, "Inventur")
    assert inventur["allDay"] is True and (inventur["start"], inventur["end"]) == ("2026-11-24", "2026-11-26")
    [sehtest] = by_title(data, "Sehtest")  # one event, drawn in both columns
    assert sorted(sehtest["resourceIds"]) == sorted([str(world.anna.pk), str(world.room.pk)])
    assert sorted(sehtest["extendedProps"]["resources"]) == ["Anna Becker", "Refraktionsraum"]
    assert sehtest["start"] == "2026-11-24T10:00:00" and sehtest["end"] == "2026-11-24T11:00:00"


def test_deleted_removed_booking_and_other_branch(chef, world):
    gone = f.appointment([world.anna], title="Gelöscht", start=local(2026, 11, 24, 9))
    services.delete_appointment(gone)
    half = f.appointment([world.anna, world.room], title="Nur noch Raum", start=local(2026, 11, 24, 11))
    services.remove_booking(half.bookings.get(resource=world.anna))
    f.appointment([world.other_room], title="Lübeck", start=local(2026, 11, 24, 9))
    data = feed(chef, world.branch, "2026-11-23", "2026-11-28")
    assert by_title(data, "Gelöscht") == [] and by_title(data, "Lübeck") == []
    assert by_title(data, "Nur noch Raum")[0]["resourceIds"] == [str(world.room.pk)]
    # and the other branch's feed shows its own appointment only
    other = feed(chef, world.other_branch, "2026-11-23", "2026-11-28")
    assert [e["title"] for e in other["events"]] == ["Lübeck"]


def test_phone_mark_status_and_conflicts(chef, world):
    phone = f.appointment([world.anna], title="Vom Telefon", start=local(2026, 11, 24, 10),
                          source=Appointment.Source.PHONE)
    f.appointment([world.anna], title="Doppelt", start=local(2026, 11, 24, 10, 30))  # FLAG: stored, flagged
    f.appointment([world.anna], title="Abgesagt", start=local(2026, 11, 24, 10), status="CANCELLED")
    f.appointment([world.ben], title="Vorläufig", start=local(2026, 11, 24, 10), status="TENTATIVE")
    data = feed(chef, world.branch, "2026-11-23", "2026-11-28")
    assert "from-phone" in by_title(data, "Vom Telefon")[0]["classNames"]
    assert by_title(data, "Vom Telefon")[0]["extendedProps"]["source"] == "phone"
    assert "status-cancelled" in by_title(data, "Abgesagt")[0]["classNames"]
    assert "status-tentative" in by_title(data, "Vorläufig")[0]["classNames"]
    # a cancelled appointment blocks nothing (the contract's rule): one conflict, Anna 10:30-11:00
    [conflict] = data["conflicts"]
    assert conflict["resource"] == "Anna Becker"
    assert {a["id"] for a in conflict["appointments"]} == {phone.pk, Appointment.objects.get(title="Doppelt").pk}
    assert (conflict["start"], conflict["end"]) == ("2026-11-24T10:30:00", "2026-11-24T11:00:00")
    assert "conflict" in by_title(data, "Doppelt")[0]["classNames"]
    assert "conflict" not in by_title(data, "Abgesagt")[0]["classNames"]


def _fill(world, n: int) -> None:
    for i in range(n):
        res = [world.anna, world.ben, world.room, world.cabin][i % 4]
        f.appointment([res, world.room] if i % 5 == 0 and res != world.room else [res], title=f"T{i}",
                      start=local(2026, 11, 23 + i % 5, 8 + i % 10, 15 * (i % 4)), minutes=30)
    services.create_appointment(branch=world.branch, resources=[world.ben], timezone="Europe/Berlin",
                                ical_text=weekly_series(f"fill-{n}@test", local(2026, 11, 2, 9)))


@pytest.mark.parametrize("n", [5, 50])
def test_feed_query_count_is_fixed(world, django_assert_num_queries, n):
    # the selector: resources, occurrences, their appointments, series past the horizon, bookings
    _fill(world, n)
    start, end = local(2026, 11, 23), local(2026, 11, 28)
    with django_assert_num_queries(5):
        result = selectors.planner_feed(world.branch, start, end)
    assert len(result.entries) >= n


def test_feed_view_query_count_same_for_5_and_50(chef, world):
    counts = []
    for n in (5, 45):
        _fill(world, n)
        with CaptureQueriesContext(connection) as ctx:
            data = feed(chef, world.branch, "2026-11-23", "2026-11-28")
        counts.append((len(ctx.captured_queries), len(data["events"])))
    assert counts[0][0] == counts[1][0], counts
    assert counts[1][1] > counts[0][1] + 40


def test_endless_series_past_the_horizon(chef, world):
    appt = f.appointment([world.anna], title="Für immer", start=local(2026, 11, 24, 8), rrule="FREQ=WEEKLY")
    assert appt.occurrences_until is not None
    far = (appt.occurrences_until + dt.timedelta(days=30)).astimezone(local(2026, 1, 1).tzinfo).date()
    monday = far - dt.timedelta(days=far.weekday())
    data = feed(chef, world.branch, monday.isoformat(), (monday + dt.timedelta(days=7)).isoformat())
    assert [e["start"][11:] for e in by_title(data, "Für immer")] == ["08:00:00"]


def test_range_is_bounded_and_branch_scoped(client, chef, world):
    assert chef.get(FEED, {"branch": world.branch.pk, "start": "2026-01-01", "end": "2026-12-31"}).status_code == 400
    assert chef.get(FEED, {"branch": world.branch.pk, "start": "x", "end": "2026-12-31"}).status_code == 400
    assert chef.get(FEED, {"branch": 999999, "start": "2026-11-23", "end": "2026-11-28"}).status_code == 404
