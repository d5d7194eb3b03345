#!/usr/bin/env python
"""Planner feed benchmark (issue 11): one week of a branch with 20 resources, 5 000 appointments stored.

    .venv/bin/python bench/planner_bench.py                      # SQLite file bench/planner.sqlite3
    .venv/bin/python bench/planner_bench.py --database-url postgres://postgres@127.0.0.1:5432/terminsync_bench

The appointments (30–90 minutes, every fifth one booking a person and a room, a few weekly
series with an EXDATE, some all-day) are spread over one year around the measured week and
written through ``scheduler.services``; a second run reuses them. Timed, R times each, median
and p95 in milliseconds: the selector alone, and the feed request as the browser sends it
(``GET /admin/planner/feed/``, logged in, JSON of events and conflicts). Target: below 50 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
import zoneinfo
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
WEEK = dt.date(2026, 11, 23)  # a Monday
CODE = "bench-planner"


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DB_CONN_MAX_AGE", "0")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def fill(n: int, resources_count: int) -> None:
    from branches.models import Branch
    from scheduler import services
    from scheduler.models import Appointment, Resource

    branch, _ = Branch.objects.get_or_create(code=CODE, defaults={"name": "Benchmark-Filiale"})
    people = resources_count * 3 // 4
    resources = list(Resource.objects.filter(branch=branch).order_by("pk"))
    for i in range(len(resources), resources_count):
        kind = Resource.Kind.PERSON if i < people else Resource.Kind.LOCATION
        res = Resource(name=f"{'Person' if i < people else 'Raum'} {i + 1:02d}", branch=branch, kind=kind)
        res.save()
        resources.append(res)
    have = Appointment.objects.filter(branch=branch).count()
    rng = random.Random(4711 + have)
    persons, rooms = resources[:people], resources[people:]
    t0 = time.perf_counter()
    for i in range(have, n):
        day = WEEK + dt.timedelta(days=rng.randrange(-182, 182))
        booked = [persons[i % len(persons)]] + ([rooms[i % len(rooms)]] if i % 5 == 0 else [])
        start = dt.datetime.combine(day, dt.time(8 + rng.randrange(0, 10), rng.choice([0, 15, 30, 45])), tzinfo=BERLIN)
        minutes = rng.choice([30, 45, 60, 90])
        fields = {"title": f"Termin {i}", "start": start, "end": start + dt.timedelta(minutes=minutes)}
        if i % 97 == 0:
            fields.update(rrule="FREQ=WEEKLY;COUNT=40")
        elif i % 53 == 0:
            midnight = start.replace(hour=0, minute=0)
            fields.update(all_day=True, start=midnight, end=midnight + dt.timedelta(days=1))
        services.create_appointment(branch=branch, resources=booked, timezone="Europe/Berlin", **fields)
        if (i + 1) % 1000 == 0:
            print(f"  {i + 1} appointments ({time.perf_counter() - t0:.0f} s)", flush=True)
    from django.db import connection

    with connection.cursor() as cursor:  # planner statistics, as autovacuum (PostgreSQL) would have them
        cursor.execute("ANALYZE")


def timed(fn, repeat: int) -> tuple[float, float, object]:
    fn()  # warm-up
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], result


def measure(repeat: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from branches.models import Branch
    from scheduler import selectors
    from scheduler.models import Appointment, Occurrence

    branch = Branch.objects.get(code=CODE)
    start = dt.datetime.combine(WEEK, dt.time(0), tzinfo=BERLIN)
    end = start + dt.timedelta(days=7)
    admin = get_user_model().objects.filter(username="bench-admin").first() or \
        get_user_model().objects.create_superuser("bench-admin", "bench@example.com", "Bench-Passwort-2026")
    client = Client()
    client.force_login(admin)
    params = {"branch": branch.pk, "start": WEEK.isoformat(), "end": (WEEK + dt.timedelta(days=7)).isoformat()}

    def request():
        response = client.get("/admin/planner/feed/", params)
        assert response.status_code == 200, response.status_code
        return response.json()

    print(f"appointments: {Appointment.objects.filter(branch=branch).count()}, occurrences: "
          f"{Occurrence.objects.filter(appointment__branch=branch).count()}, resources: {branch.resources.count()}")
    med, p95, feed = timed(lambda: selectors.planner_feed(branch, start, end), repeat)
    print(f"planner_feed (selector), one week: median {med:.1f} ms, p95 {p95:.1f} ms, {len(feed.entries)} occurrences, "
          f"{len(feed.conflicts)} conflicts")
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as ctx:
        selectors.planner_feed(branch, start, end)
    print(f"  queries: {len(ctx.captured_queries)}")
    med, p95, data = timed(request, repeat)
    print(f"GET /admin/planner/feed/ (JSON), one week: median {med:.1f} ms, p95 {p95:.1f} ms, "
          f"{len(data['events'])} events, {len(data['conflicts'])} conflicts  (target < 50 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=f"sqlite:///{ROOT / 'bench' / 'planner.sqlite3'}")
    parser.add_argument("--appointments", type=int, default=5000)
    parser.add_argument("--resources", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    setup_django(args.database_url)
    fill(args.appointments, args.resources)
    measure(args.repeat)


if __name__ == "__main__":
    main()
