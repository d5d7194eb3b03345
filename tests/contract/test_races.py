"""Preconditions hold under concurrency (S6, D6): checked inside the writer's lock, backed by the database.

Real HTTP against a live server, many clients at once, each race 20 rounds.
On PostgreSQL (CI runs the suite there too) requests run truly in parallel;
on SQLite the writers queue on the database lock (WAL, busy timeout,
IMMEDIATE transactions) and must still never answer 5xx.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.db import connection

from scheduler.models import Appointment, Booking, Change
from tests import factories as f
from tests.caldav.conftest import PASSWORD, build_setup, event, make_credential

pytestmark = pytest.mark.django_db(transaction=True)
ROUNDS = 20


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(live_server):
    setup = build_setup()
    second = make_credential(f.employee(setup.branch).user, setup.branch, username="ben-phone")
    session = requests.Session()
    return setup, second, live_server.url, session


def parallel(calls) -> list[int]:
    """Start all calls at the same instant (a barrier), return their status codes."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def put(base, path, body, user="anna-phone", **headers):
    return lambda: requests.put(base + path, data=body.encode(), auth=(user, PASSWORD), timeout=60,
                                headers={"Content-Type": "text/calendar", **headers}).status_code


def delete(base, path, user="anna-phone", **headers):
    return lambda: requests.delete(base + path, auth=(user, PASSWORD), timeout=60, headers=headers).status_code


def assert_gap_free(resource):
    revisions = list(Change.objects.filter(resource=resource).order_by("revision").values_list("revision", flat=True))
    assert revisions == list(range(1, len(revisions) + 1))
    resource.refresh_from_db()
    assert resource.sync_revision == len(revisions)


def test_concurrent_writers_with_one_if_match_exactly_one_wins(world):
    setup, _, base, _ = world
    path = setup.path(setup.person, "race.ics")
    assert put(base, path, event(uid="race"))() == 201
    writers = 12 if connection.vendor == "sqlite" else 20
    for n in range(ROUNDS):
        etag = Appointment.objects.get(uid="race").etag
        codes = parallel([put(base, path, event(uid="race", summary=f"r{n}-w{i}"), **{"If-Match": f'"{etag}"'})
                          for i in range(writers)])
        assert sorted(codes) == [204] + [412] * (writers - 1), codes
    assert_gap_free(setup.person)


def test_delete_racing_puts_with_the_old_etag_never_both(world):
    setup, _, base, _ = world
    for n in range(ROUNDS):
        path = setup.path(setup.person, f"d{n}.ics")
        assert put(base, path, event(uid=f"d{n}"))() == 201
        etag = Appointment.objects.get(uid=f"d{n}").etag
        calls = [delete(base, path, **{"If-Match": f'"{etag}"'})]
        calls += [put(base, path, event(uid=f"d{n}", summary=f"p{i}"), **{"If-Match": f'"{etag}"'}) for i in range(5)]
        codes = parallel(calls)
        assert sum(1 for c in codes if c in (200, 204)) == 1, codes  # one precondition holder wins
        appt = Appointment.objects.get(uid=f"d{n}")
        assert (appt.deleted_at is not None) == (codes[0] == 204), codes  # deleted exactly when DELETE won
        assert all(c in (204, 412) for c in codes), codes
    assert_gap_free(setup.person)


def test_concurrent_creates_of_one_uid_make_one_object(world):
    setup, second, base, _ = world
    for n in range(ROUNDS):
        uid = f"dup-{n}"
        # one credential, its own calendar, different object names
        codes = parallel([put(base, setup.path(setup.person, f"{uid}-{i}.ics"), event(uid=uid)) for i in range(8)])
        assert sorted(codes) == [201] + [403] * 7, codes
        # two credentials writing into one room
        room_path = f"/caldav/{{0}}/{setup.room.slug}/{uid}-room-{{0}}-{{1}}.ics"
        codes = parallel([put(base, room_path.format(user, i), event(uid=uid + "-room"), user=user)
                          for i in range(4) for user in ("anna-phone", second.username)])
        assert sorted(codes) == [201] + [403] * 7, codes
    for res in (setup.person, setup.room):
        uids = list(Booking.objects.filter(resource=res, deleted_at__isnull=True).values_list("uid", flat=True))
        assert len(uids) == len(set(uids)) == ROUNDS
        assert_gap_free(res)


def test_sync_from_the_start_equals_the_listing_after_the_races(world):
    """D6: whatever interleaving happened, the change log replays to exactly what is listed."""
    setup, second, base, _ = world
    for n in range(5):
        parallel([put(base, f"/caldav/{user}/{setup.room.slug}/s{n}-{user}.ics", event(uid=f"s{n}-{user}"), user=user)
                  for user in ("anna-phone", second.username)])
        parallel([delete(base, f"/caldav/anna-phone/{setup.room.slug}/s{n}-{user}.ics") for user in
                  ("anna-phone",)] + [put(base, f"/caldav/{second.username}/{setup.room.slug}/s{n}-x.ics",
                                          event(uid=f"s{n}-x"), user=second.username)])
    replay: dict[str, str] = {}
    for change in Change.objects.filter(resource=setup.room).order_by("revision"):
        if change.op == Change.Op.DELETED:
            replay.pop(change.name, None)
        else:
            replay[change.name] = change.op
    listed = set(Booking.objects.active().filter(resource=setup.room).values_list("name", flat=True))
    assert set(replay) == listed and listed
    assert_gap_free(setup.room)
