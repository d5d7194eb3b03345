#!/usr/bin/env python
"""Listing benchmark, in process: PROPFIND Depth 1, initial sync-collection and multiget of 100.

    .venv/bin/python bench/listing_bench.py                       # SQLite /tmp/listing.sqlite3
    .venv/bin/python bench/listing_bench.py --sizes 1000,10000 --repeat 15
    .venv/bin/python bench/listing_bench.py --database-url postgres://postgres@127.0.0.1:5432/terminsync_list

One calendar per size is filled with deterministic objects by a bulk insert (kept
between runs, the room's privacy level set by ``--privacy``). Each request goes through
the full WSGI application (every middleware, authentication, the handler) as gunicorn
would call it, and its body is consumed to the last byte, so a streamed response is timed whole. Two figures per request:

- the median wall time in ms (``--repeat`` runs after two warm-ups);
- the peak of Python allocations during one request (``tracemalloc``, a separate run,
  since tracing slows everything down): flat in N means no per-object list is held.

In process there is no network or HTTP parsing, so the times are lower than a client
measures against gunicorn; the ratios between sizes and between before/after hold.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import io
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

UTC = dt.timezone.utc

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PROPFIND_D1 = b'<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>'
SYNC_INITIAL = (b'<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level>'
                b"<D:prop><D:getetag/></D:prop></D:sync-collection>")


def multiget_body(hrefs: list[str]) -> bytes:
    from xml.sax.saxutils import escape

    return ('<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/>'
            "<C:calendar-data/></D:prop>" + "".join(f"<D:href>{escape(h)}</D:href>" for h in hrefs)
            + "</C:calendar-multiget>").encode()


def call(app, method: str, path: str, body: bytes, depth: str, auth: str) -> tuple[str, int]:
    """One request through the WSGI application; the whole body is read (and closed) like a server does."""
    environ = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
        "CONTENT_TYPE": "application/xml", "CONTENT_LENGTH": str(len(body)), "HTTP_DEPTH": depth,
        "HTTP_AUTHORIZATION": auth, "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "443",
        "HTTP_HOST": "127.0.0.1", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
        "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "https", "wsgi.version": (1, 0),
        "wsgi.errors": sys.stderr, "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
    }
    status: list[str] = []
    result = app(environ, lambda s, headers, exc_info=None: status.append(s))
    try:
        size = 0
        for chunk in result:
            size += len(chunk)
    finally:
        if hasattr(result, "close"):
            result.close()
    return status[0], size


PASSWORD = "Bench-Passwort-2026"


def setup_django(database_url: str) -> None:
    os.environ.update({"DATABASE_URL": database_url, "DEBUG": "0", "SECRET_KEY": "bench-" + "x" * 40,
                       "ALLOWED_HOSTS": "127.0.0.1", "LOG_LEVEL": "WARNING"})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def synthetic(n: int, i: int) -> tuple[str, dt.datetime, dt.datetime]:
    """A deterministic object: a third with a description and an alarm, every tenth weekly (no index needed here)."""
    start = dt.datetime(2026, 1, 5, 8, tzinfo=UTC) + dt.timedelta(days=i % 700, minutes=15 * (i % 36))
    end = start + dt.timedelta(minutes=30 + 15 * (i % 4))
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Terminsync//Listing bench//EN", "BEGIN:VEVENT",
             f"UID:listing-{n}-{i}@terminsync", "DTSTAMP:20260101T000000Z",
             f"DTSTART:{start:%Y%m%dT%H%M%SZ}", f"DTEND:{end:%Y%m%dT%H%M%SZ}", f"SUMMARY:Termin {i} – Sehtest"]
    if i % 10 == 1:
        lines.append("RRULE:FREQ=WEEKLY;COUNT=10")
    if i % 3 == 0:
        lines += ["DESCRIPTION:Kundin bringt die alte Brille mit; Rückruf unter 040 123456 erbeten.",
                  "BEGIN:VALARM", "ACTION:DISPLAY", "DESCRIPTION:Erinnerung", "TRIGGER:-PT15M", "END:VALARM"]
    lines += ["END:VEVENT", "END:VCALENDAR", ""]
    return "\r\n".join(lines), start, end


def fill(resource, branch, n: int) -> None:
    """Bulk insert of the columns a listing reads (ETag, size, index, change log); no occurrence rows."""
    from django.db import transaction

    from scheduler import ical
    from scheduler.models import Appointment, Booking, Change, Resource, object_name_for_uid

    rev = resource.sync_revision
    for chunk in range(0, n, 1000):
        appts = []
        for i in range(chunk, min(n, chunk + 1000)):
            text, start, end = synthetic(n, i)
            appts.append(Appointment(uid=f"listing-{n}-{i}@terminsync", branch=branch, title=f"Termin {i}",
                                     start=start, end=end, timezone="UTC", source="api", ical=text,
                                     etag=ical.etag_for(text), size=len(text.encode()), first_start=start,
                                     last_end=end))
        with transaction.atomic():
            Appointment.objects.bulk_create(appts)
            saved = list(Appointment.objects.filter(uid__in=[a.uid for a in appts], branch=branch))
            Booking.objects.bulk_create([Booking(appointment=a, resource=resource, uid=a.uid,
                                                 name=object_name_for_uid(a.uid)) for a in saved])
            changes = []
            for a in saved:
                rev += 1
                changes.append(Change(resource=resource, revision=rev, appointment=a,
                                      name=object_name_for_uid(a.uid), op="created"))
            Change.objects.bulk_create(changes)
            Resource.objects.filter(pk=resource.pk).update(sync_revision=rev)


def prepare(sizes: list[int]) -> dict:
    """The bench branch, user, credential and one room per size (kept between runs)."""
    from django.contrib.auth import get_user_model

    from branches.models import Branch
    from scheduler.models import Employee, Resource
    from servicecreds.models import ServiceCredential

    branch, _ = Branch.objects.get_or_create(code="bench", defaults={"name": "Benchmark"})
    user, created = get_user_model().objects.get_or_create(username="bench")
    if created:
        user.set_unusable_password()
        user.save()
    Employee.objects.get_or_create(user=user, defaults={"display_name": "Bench", "branch": branch})
    cred, _ = ServiceCredential.objects.get_or_create(username="bench", defaults={
        "user": user, "branch": branch, "confirmed": True})
    if not cred.check_password(PASSWORD):
        cred.set_password(PASSWORD)
        cred.save()
    rooms = {}
    for n in sizes:
        room = Resource.objects.filter(name=f"Raum {n}", branch=branch).first()
        if room is None:
            room = Resource(name=f"Raum {n}", branch=branch, kind="location", sync_allowed=True)
            room.save()
        if room.bookings.filter(deleted_at__isnull=True).count() < n:
            t = time.perf_counter()
            fill(room, branch, n)
            print(f"  filled {n} appointments into {room.slug} in {time.perf_counter() - t:.1f} s", flush=True)
        rooms[n] = Resource.objects.get(pk=room.pk)
    return rooms


def set_privacy(rooms: list, level: str) -> None:
    """The rooms at ``level``; the redacted objects the writer would have stored are filled in once."""
    from django.db import transaction

    from scheduler import ical, redaction
    from scheduler.models import Appointment, Resource

    Resource.objects.filter(pk__in=[r.pk for r in rooms]).update(privacy=level)
    missing = Appointment.objects.filter(bookings__resource__in=rooms, etag_busy="")
    if level == "full" or not missing.exists():
        return
    t = time.perf_counter()
    batch = []
    for appt in missing.iterator(chunk_size=1000):
        for key, text in redaction.redacted_variants(appt.ical, type_name="", room_name="").items():
            setattr(appt, f"ical_{key}", text)
            setattr(appt, f"etag_{key}", ical.etag_for(text))
        batch.append(appt)
    with transaction.atomic():
        Appointment.objects.bulk_update(batch, ["ical_no_customer", "etag_no_customer", "ical_busy", "etag_busy"],
                                        batch_size=1000)
    print(f"  stored redacted objects of {len(batch)} appointments in {time.perf_counter() - t:.1f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="/tmp/listing.sqlite3", help="the SQLite file (without --database-url)")
    parser.add_argument("--database-url", help="any DATABASE_URL instead, e.g. postgres://user@host:5432/name")
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--privacy", default="full", choices=["full", "no_customer", "busy"],
                        help="the rooms' privacy level (V1); a redacted level serves the stored redacted objects")
    args = parser.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    database = args.database_url or f"sqlite:///{args.database}"
    setup_django(database)
    rooms = prepare(sizes)
    set_privacy(list(rooms.values()), args.privacy)
    from django.core.wsgi import get_wsgi_application

    app = get_wsgi_application()
    auth = "Basic " + base64.b64encode(f"bench:{PASSWORD}".encode()).decode()
    print(f"database: {database}; times: median of {args.repeat} in ms; memory: tracemalloc peak of one "
          "request in KiB", flush=True)
    print("\n| request | " + " | ".join(f"N={n} ms | N={n} peak KiB" for n in sizes) + " |")
    print("|" + "---|" * (1 + 2 * len(sizes)))
    rows: dict[str, list[str]] = {}
    for n in sizes:
        path = f"/caldav/bench/{rooms[n].slug}/"
        from scheduler.models import Booking
        from servicecreds import urls_for
        from servicecreds.models import ServiceCredential

        cred = ServiceCredential.objects.get(username="bench")
        names = list(Booking.objects.filter(resource=rooms[n], deleted_at__isnull=True)
                     .order_by("name").values_list("name", flat=True)[: 100])
        hrefs = [urls_for.object_path(cred, rooms[n], name) for name in names]
        cases = {
            "PROPFIND Depth 1 (getetag)": ("PROPFIND", PROPFIND_D1, "1"),
            "sync-collection, initial": ("REPORT", SYNC_INITIAL, "0"),
            "calendar-multiget of 100": ("REPORT", multiget_body(hrefs), "0"),
        }
        for label, (method, body, depth) in cases.items():
            for _ in range(2):
                status, size = call(app, method, path, body, depth, auth)
                assert status.startswith("207"), (label, status)
            samples = []
            for _ in range(args.repeat):
                t = time.perf_counter()
                call(app, method, path, body, depth, auth)
                samples.append((time.perf_counter() - t) * 1000)
            tracemalloc.start()
            call(app, method, path, body, depth, auth)
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            rows.setdefault(label, []).extend([f"{statistics.median(samples):.1f}", f"{peak / 1024:.0f}"])
            # the minimum too: on a shared machine it is the steadiest estimate of the uncontended cost
            print(f"  N={n} {label}: {statistics.median(samples):.1f} ms (min {min(samples):.1f}), "
                  f"peak {peak / 1024:.0f} KiB, {size} bytes", flush=True)
    print()
    for label, cells in rows.items():
        print(f"| {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
