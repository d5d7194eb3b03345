#!/usr/bin/env python
"""CalDAV benchmark: fill calendars of N synthetic appointments, start gunicorn, time what phones do.

    .venv/bin/python bench/caldav_bench.py                       # SQLite file bench/bench.sqlite3
    .venv/bin/python bench/caldav_bench.py --database-url postgres://postgres@127.0.0.1:5432/terminsync_bench

For each size N (default 1000 and 10000) one calendar is filled deterministically
(weekly series with exceptions and overrides, a few endless series, all-day
events, several time zones, alarms) and each request is timed R times (median,
p95). Ratios compare sizes and requests within the same run, so the figures
are comparable across machines: an incremental sync should cost the same at
1 000 and at 10 000 appointments.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
import zoneinfo
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
UTC = dt.timezone.utc
PASSWORD = "Bench-Passwort-2026"
ZONES = ["Europe/Berlin"] * 8 + ["Europe/London", "America/New_York"]


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def synthetic(n: int, i: int, rng: random.Random, base: dt.date) -> str:
    import icalendar

    from scheduler import ical

    tzname = ZONES[i % len(ZONES)]
    tz = zoneinfo.ZoneInfo(tzname)
    day = base + dt.timedelta(days=rng.randrange(0, 4 * 365))
    cal = icalendar.Calendar()
    cal.add("PRODID", "-//Terminsync//Bench//EN")
    cal.add("VERSION", "2.0")
    ev = icalendar.Event()
    uid = f"bench-{n}-{i}@terminsync"
    ev.add("UID", uid)
    ev.add("DTSTAMP", dt.datetime(2026, 1, 1, tzinfo=UTC))
    ev.add("SUMMARY", f"Termin {i}")
    kind = i % 20
    if kind == 0:  # all-day
        ev.add("DTSTART", day)
        ev.add("DTEND", day + dt.timedelta(days=1 + i % 3))
    else:
        start = dt.datetime.combine(day, dt.time(8 + rng.randrange(0, 10), rng.choice([0, 15, 30, 45])), tzinfo=tz)
        ev.add("DTSTART", start)
        ev.add("DTEND", start + dt.timedelta(minutes=rng.choice([30, 45, 60, 90])))
        if kind in (1, 2, 3):  # weekly series with an exception and an override
            ev.add("RRULE", {"FREQ": "WEEKLY", "COUNT": rng.randrange(8, 40)})
            ev.add("EXDATE", start + dt.timedelta(weeks=2))
            override = icalendar.Event()
            override.add("UID", uid)
            override.add("DTSTAMP", dt.datetime(2026, 1, 1, tzinfo=UTC))
            override.add("RECURRENCE-ID", start + dt.timedelta(weeks=4))
            override.add("DTSTART", start + dt.timedelta(weeks=4, hours=2))
            override.add("DTEND", start + dt.timedelta(weeks=4, hours=3))
            override.add("SUMMARY", f"Termin {i} (verschoben)")
            cal.add_component(ev)
            cal.add_component(override)
        elif i % 500 == 7:  # a few endless series: candidates of every query
            ev.add("RRULE", {"FREQ": "WEEKLY"})
    if i % 3 == 0:
        alarm = icalendar.Alarm()
        alarm.add("ACTION", "DISPLAY")
        alarm.add("DESCRIPTION", "Erinnerung")
        alarm.add("TRIGGER", dt.timedelta(minutes=-15))
        ev.add_component(alarm)
    if ev not in cal.subcomponents:
        cal.add_component(ev)
    ical.ensure_timezones(cal)
    return cal.to_ical().decode()


def fill(resource, branch, n: int) -> None:
    """Bulk insert with the same derived columns the services compute (index, ETag, size, change log)."""
    from django.db import transaction

    from scheduler import ical, services
    from scheduler.models import Appointment, Booking, Change, Resource, object_name_for_uid

    rng = random.Random(n)
    base = dt.date(2024, 1, 1)
    rev = resource.sync_revision
    for chunk in range(0, n, 1000):
        appts, spans = [], {}
        for i in range(chunk, min(n, chunk + 1000)):
            text = synthetic(n, i, rng, base)
            cal = ical.parse(text)
            fields = ical.extract(cal, branch.timezone)
            idx = ical.index(cal, fields.timezone)
            first, last = idx.first, idx.last
            spans[fields.uid] = idx
            appts.append(Appointment(occurrences_until=idx.complete_until,
                uid=fields.uid, branch=branch, title=fields.title, status=fields.status, all_day=fields.all_day,
                start=fields.start, end=fields.end, timezone=fields.timezone, rrule=fields.rrule, source="api",
                ical=text, etag=ical.etag_for(text), size=len(text.encode()), first_start=first, last_end=last))
        with transaction.atomic():
            Appointment.objects.bulk_create(appts)
            saved = list(Appointment.objects.filter(uid__in=[a.uid for a in appts], branch=branch))
            for a in saved:
                services.write_occurrences(a, spans[a.uid], replace=False)
            Booking.objects.bulk_create([Booking(appointment=a, resource=resource, uid=a.uid,
                                                 name=object_name_for_uid(a.uid))
                                         for a in saved])
            changes = []
            for a in saved:
                rev += 1
                changes.append(Change(resource=resource, revision=rev, appointment=a,
                                      name=object_name_for_uid(a.uid), op="created"))
            Change.objects.bulk_create(changes)
            Resource.objects.filter(pk=resource.pk).update(sync_revision=rev)


def prepare(sizes: list[int]):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    from branches.models import Branch
    from scheduler.models import Employee, Resource
    from servicecreds.models import ServiceCredential

    branch, _ = Branch.objects.get_or_create(code="bench", defaults={"name": "Benchmark"})
    user, created = get_user_model().objects.get_or_create(username="bench")
    if created:
        user.set_password(secrets.token_urlsafe(12))
        user.save()
        user.user_permissions.set(Permission.objects.filter(content_type__app_label="scheduler"))
    Employee.objects.get_or_create(user=user, defaults={"display_name": "Bench", "branch": branch})
    cred, created = ServiceCredential.objects.get_or_create(username="bench", defaults={
        "user": user, "branch": branch, "confirmed": True})
    if created or not cred.check_password(PASSWORD):
        cred.set_password(PASSWORD)
        cred.save()
    rooms = {}
    for n in sizes:
        room = Resource.objects.filter(name=f"Raum {n}", branch=branch).first()
        if room is None:
            room = Resource(name=f"Raum {n}", branch=branch, kind="location", sync_allowed=True)
            room.save()
        have = room.bookings.count()
        if have < n:
            t = time.perf_counter()
            fill(room, branch, n)
            print(f"  filled {n} appointments into {room.slug} in {time.perf_counter() - t:.1f} s", flush=True)
        rooms[n] = Resource.objects.get(pk=room.pk)
    from django.db import connection

    with connection.cursor() as cur:  # fresh statistics, as autovacuum/ANALYZE would give a live server
        cur.execute("ANALYZE")
    return rooms


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(database_url: str, workers: int):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "DEBUG": "0", "SECRET_KEY": "bench-" + "x" * 40,
           "ALLOWED_HOSTS": "127.0.0.1", "LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen([str(Path(sys.executable).with_name("gunicorn")), "config.wsgi",
                             "-b", f"127.0.0.1:{port}", "-w", str(workers), "--log-level", "warning"],
                            cwd=ROOT, env=env)
    return proc, wait_until_up(proc, port, "gunicorn")


def wait_until_up(proc, port: int, name: str) -> str:
    import requests

    for _ in range(100):
        try:
            requests.options(f"http://127.0.0.1:{port}/", timeout=1)
            return f"http://127.0.0.1:{port}"
        except (requests.ConnectionError, requests.Timeout):  # not listening yet, or workers still booting
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"{name} did not start")


def timed(fn, repeat: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))]


def xml_time(d: dt.datetime) -> str:
    return d.strftime("%Y%m%dT%H%M%SZ")


def measure(base_url: str, url: str, repeat: int, auth=("bench", PASSWORD)) -> dict[str, tuple[float, float]]:
    """Time the requests against one calendar collection ``url`` (ours or a peer's)."""
    import requests
    from lxml import etree

    s = requests.Session()
    s.auth = auth

    def dav(method, path=url, body="", **headers):
        r = s.request(method, path, data=body.encode(), headers={"Content-Type": "application/xml", **headers})
        assert r.status_code < 300, (method, r.status_code, r.text[:300])
        return r

    def query(days):
        start = dt.datetime(2026, 3, 2, tzinfo=UTC)
        return (f'<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/>'
                f'</D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range '
                f'start="{xml_time(start)}" end="{xml_time(start + dt.timedelta(days=days))}"/></C:comp-filter>'
                f"</C:comp-filter></C:filter></C:calendar-query>")

    listing = etree.fromstring(dav("PROPFIND", body='<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop>'
                                   "</D:propfind>", Depth="1").content)
    hrefs = [h.text for h in listing.iter("{DAV:}href")][1:]
    sample = hrefs[: 100]
    multiget = ('<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/>'
                "<C:calendar-data/></D:prop>" + "".join(f"<D:href>{h}</D:href>" for h in sample)
                + "</C:calendar-multiget>")
    sync_body = ('<D:sync-collection xmlns:D="DAV:"><D:sync-token>{}</D:sync-token><D:sync-level>1</D:sync-level>'
                 "<D:prop><D:getetag/></D:prop></D:sync-collection>")

    def token():
        root = etree.fromstring(dav("PROPFIND", body='<D:propfind xmlns:D="DAV:"><D:prop><D:sync-token/></D:prop>'
                                    "</D:propfind>", Depth="0").content)
        return root.findtext(".//{DAV:}sync-token")

    target = f"{base_url}{hrefs[len(hrefs) // 2]}"

    def put_if_match():
        r = s.get(target)
        body = r.text.replace("SUMMARY:", "SUMMARY:x", 1)
        put = s.put(target, data=body.encode(), headers={"Content-Type": "text/calendar", "If-Match": r.headers["ETag"]})
        assert put.status_code in (201, 204), put.text

    results = {
        "PROPFIND depth 1 (getetag)": timed(lambda: dav("PROPFIND", body='<D:propfind xmlns:D="DAV:"><D:prop>'
                                                        "<D:getetag/></D:prop></D:propfind>", Depth="1"), repeat),
        "PROPFIND depth 0 (ctag, sync-token)": timed(lambda: dav(
            "PROPFIND", body='<D:propfind xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><D:prop>'
            "<CS:getctag/><D:sync-token/></D:prop></D:propfind>", Depth="0"), repeat),
        "calendar-query 1 week": timed(lambda: dav("REPORT", body=query(7), Depth="1"), repeat),
        "calendar-query 1 month": timed(lambda: dav("REPORT", body=query(30), Depth="1"), repeat),
        "multiget 100 (with data)": timed(lambda: dav("REPORT", body=multiget, Depth="1"), repeat),
        "initial sync-collection": timed(lambda: dav("REPORT", body=sync_body.format("")), max(3, repeat // 3)),
        "GET one object": timed(lambda: s.get(target), repeat),
        "PUT with If-Match (incl. GET)": timed(put_if_match, max(3, repeat // 3)),
    }
    samples = []
    for _ in range(max(3, repeat // 3)):
        before = token()
        for _ in range(10):
            put_if_match()
        t = time.perf_counter()
        dav("REPORT", body=sync_body.format(before))
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    results["incremental sync after 10 changes"] = (statistics.median(samples), samples[-1])

    stop = time.perf_counter() + 5
    count = [0]
    lock = threading.Lock()

    def worker():
        ws = requests.Session()
        ws.auth = auth
        while time.perf_counter() < stop:
            ws.get(target)
            ws.request("PROPFIND", url, data=b'<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>',
                       headers={"Depth": "0"})
            with lock:
                count[0] += 2

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results["8 clients: requests/s (GET + PROPFIND)"] = (count[0] / 5.0, float("nan"))
    return results


def start_radicale(python: str, folder: Path, sizes: list[int]):
    """Radicale (the Python CalDAV server most often self-hosted) on the same objects, as the peer.

    The objects are written into its filesystem storage exactly as ours are stored.
    """
    from scheduler.models import Booking

    for n in sizes:
        cal = folder / "collection-root" / "bench" / f"raum-{n}"
        if not cal.exists():
            cal.mkdir(parents=True)
            (cal / ".Radicale.props").write_text(json.dumps({"tag": "VCALENDAR", "D:displayname": f"Raum {n}"}))
            for b in Booking.objects.filter(resource__slug=f"raum-{n}").select_related("appointment").iterator():
                (cal / b.name).write_text(b.appointment.ical, newline="")
    port = free_port()
    config = folder / "config"
    config.write_text(f"""[server]\nhosts = 127.0.0.1:{port}\n[auth]\ntype = none\n[rights]\ntype = owner_only\n
[storage]\nfilesystem_folder = {folder}\n[logging]\nlevel = warning\n""")
    proc = subprocess.Popen([python, "-m", "radicale", "--config", str(config)])
    return proc, wait_until_up(proc, port, "radicale")


def start_xandikos(python: str, folder: Path, sizes: list[int]):
    """Xandikos (Git-backed, the other Python CalDAV server) on the same objects, as a second peer.

    Each calendar is a Git repository with a ``.xandikos`` file; the objects go in with one commit.
    """
    from scheduler.models import Booking

    for n in sizes:
        cal = folder / "bench" / f"raum-{n}"
        if not (cal / ".git").exists():
            cal.mkdir(parents=True, exist_ok=True)
            (cal / ".xandikos").write_text(f"[DEFAULT]\ntype = calendar\ndisplayname = Raum {n}\n")
            for b in Booking.objects.filter(resource__slug=f"raum-{n}").select_related("appointment").iterator():
                (cal / b.name).write_text(b.appointment.ical, newline="")
            git = ["git", "-C", str(cal), "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
            subprocess.run(git[:3] + ["init", "-q"], check=True)
            subprocess.run(git + ["add", "-A"], check=True)
            subprocess.run(git + ["commit", "-q", "-m", "bench objects"], check=True)
    port = free_port()
    proc = subprocess.Popen([python, "-m", "xandikos", "-d", str(folder), "-l", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, wait_until_up(proc, port, "xandikos")


PEERS = {  # name: (start function, data folder, collection path of size n)
    "Radicale": (start_radicale, "radicale-data", "/bench/raum-{n}/"),
    "Xandikos": (start_xandikos, "xandikos-data", "/bench/raum-{n}/"),
}


def measure_peer(name: str, python: str, sizes: list[int], repeat: int) -> dict:
    start, folder, path = PEERS[name]
    proc, url = start(python, ROOT / "bench" / folder, sizes)
    try:
        return {n: measure(url, url + path.format(n=n), repeat, auth=("bench", "x")) for n in sizes}
    finally:
        proc.terminate()
        proc.wait()


def print_ratios(table: dict, peers: dict[str, dict], n: int) -> None:
    """Per request: the faster peer's figure against ours (time: peer/ours, >1 means we are faster)."""
    for name in table[n]:
        ours = table[n][name][0]
        if "requests/s" in name:
            best = max(peers, key=lambda p: peers[p][n][name][0])
            print(f"- N={n}, {name}: Terminsync/{best} (the faster peer) {ours / peers[best][n][name][0]:.2f}x "
                  "throughput")
        else:
            best = min(peers, key=lambda p: peers[p][n][name][0])
            print(f"- N={n}, {name}: {best} (the faster peer)/Terminsync {peers[best][n][name][0] / ours:.1f}x "
                  "the time")


def print_table(title: str, table: dict, sizes: list[int]) -> None:
    print(f"\n### {title}\n")
    names = list(next(iter(table.values())))
    print("| request | " + " | ".join(f"N={n} median ms | p95 ms" for n in sizes) + " |")
    print("|" + "---|" * (1 + 2 * len(sizes)))
    for name in names:
        cells = []
        for n in sizes:
            med, p95 = table[n][name]
            cells += [f"{med:.1f}", "" if p95 != p95 else f"{p95:.1f}"]
        print(f"| {name} | " + " | ".join(cells) + " |")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=f"sqlite:///{ROOT / 'bench' / 'bench.sqlite3'}")
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--radicale-python", help="python of a venv with radicale installed: measure it as the peer")
    parser.add_argument("--xandikos-python", help="python of a venv with xandikos installed: a second peer")
    parser.add_argument("--peer-repeat", type=int, default=5)
    args = parser.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    print(f"database: {args.database_url.split('@')[-1]}", flush=True)
    setup_django(args.database_url)
    rooms = prepare(sizes)
    proc, base_url = start_server(args.database_url, args.workers)
    try:
        table = {n: measure(base_url, f"{base_url}/caldav/bench/{rooms[n].slug}/", args.repeat) for n in sizes}
    finally:
        proc.terminate()
        proc.wait()
    print_table("Terminsync", table, sizes)
    pythons = {"Radicale": args.radicale_python, "Xandikos": args.xandikos_python}
    peers = {}
    for name, python in pythons.items():
        if python:
            peers[name] = measure_peer(name, python, sizes, args.peer_repeat)
            print_table(f"{name} (peer, same objects, same machine, same run)", peers[name], sizes)
    print()
    small, large = sizes[0], sizes[-1]
    for name in ("incremental sync after 10 changes", "calendar-query 1 week", "PROPFIND depth 0 (ctag, sync-token)",
                 "PROPFIND depth 1 (getetag)", "initial sync-collection"):
        if len(sizes) >= 2:
            print(f"- ratio N={large}/N={small}, {name}: {table[large][name][0] / table[small][name][0]:.2f}")
    if peers:
        print_ratios(table, peers, large)

if __name__ == "__main__":
    main()
