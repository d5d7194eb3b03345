#!/usr/bin/env python
"""PUT with If-Match, in process: median time, the SQL of one PUT, and a profile (issue 13).

    .venv/bin/python bench/put_profile.py                                   # SQLite /tmp/put_profile.sqlite3
    .venv/bin/python bench/put_profile.py --database-url postgres://postgres@127.0.0.1:5432/terminsync_put
    .venv/bin/python bench/put_profile.py --size 2000 --repeat 60 --sql --profile

One calendar of ``--size`` objects of the bench's data set (``bench/dataset.py``, loaded with
``import_ics`` as ``caldav_bench.py`` does; kept between runs). The object in the middle of the
calendar is edited the way ``workloads.Client.edit`` edits it (its SUMMARY changed, so every PUT
is a real change with a history entry), each PUT with the ETag of the one before as If-Match,
through the whole WSGI application (middleware, Basic authentication, the handler), as gunicorn
would call it. ``--kinds`` also edits a weekly series and an object with a VTIMEZONE of the data set.

- the median wall time in ms of ``--repeat`` PUTs after five warm-ups, and the median CPU time of
  this process (Python's share; steadier than the wall time on a machine that runs other work);
- ``--sql``: every statement of one PUT with its time (the database's cost, and the count);
- ``--profile``: a pyinstrument profile of ``--repeat`` PUTs (where the Python time goes).

In process there is no network or HTTP parsing, so a client against gunicorn measures more; the
difference between before and after a change holds.
"""

from __future__ import annotations

import argparse
import base64
import io
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import caldav_bench  # noqa: E402


def call(app, path: str, body: bytes, auth: str, if_match: str) -> tuple[str, dict[str, str]]:
    """One PUT through the WSGI application, its response read to the end like a server does."""
    environ = {
        "REQUEST_METHOD": "PUT", "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
        "CONTENT_TYPE": "text/calendar; charset=utf-8", "CONTENT_LENGTH": str(len(body)),
        "HTTP_IF_MATCH": if_match, "HTTP_USER_AGENT": "put_profile",
        "HTTP_AUTHORIZATION": auth, "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "443",
        "HTTP_HOST": "127.0.0.1", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
        "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "https", "wsgi.version": (1, 0),
        "wsgi.errors": sys.stderr, "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
    }
    out: list = []
    result = app(environ, lambda s, headers, exc_info=None: out.append((s, dict(headers))))
    try:
        for _chunk in result:
            pass
    finally:
        if hasattr(result, "close"):
            result.close()
    return out[0]


class Editor:
    """PUTs one object again and again, each time with a new SUMMARY and the last ETag as If-Match."""

    def __init__(self, app, auth: str, path: str, text: str, etag: str) -> None:
        self.app, self.auth, self.path, self.text, self.etag, self.n = app, auth, path, text, etag, 0

    def put(self) -> None:
        self.n += 1
        body = self.text.replace("SUMMARY:", f"SUMMARY:{self.n % 2}x", 1).encode()
        status, headers = call(self.app, self.path, body, self.auth, f'"{self.etag}"')
        if not status.startswith("204"):
            raise RuntimeError(f"PUT {self.path}: {status}")
        self.etag = headers["ETag"].strip('"')


def editors(app, auth: str, slug: str, kinds: bool) -> dict[str, Editor]:
    """The middle object of the calendar; with ``kinds`` also a weekly series and one with a VTIMEZONE."""
    from scheduler.models import Booking, Resource
    from servicecreds import urls_for
    from servicecreds.models import ServiceCredential

    room = Resource.objects.get(slug=slug)
    cred = ServiceCredential.objects.get(username="bench")
    rows = list(Booking.objects.active().filter(resource=room).order_by("name")
                .values_list("name", "appointment__ical", "appointment__etag"))
    picks = {"middle": rows[len(rows) // 2]}
    if kinds:
        picks["series"] = next(r for r in rows[len(rows) // 2:] if "RRULE:" in r[1])
        picks["vtimezone"] = next(r for r in rows[len(rows) // 2:] if "BEGIN:VTIMEZONE" in r[1] and "RRULE" not in
                                  r[1].split("BEGIN:VEVENT", 1)[1])
    return {k: Editor(app, auth, urls_for.object_path(cred, room, name), text, etag)
            for k, (name, text, etag) in picks.items()}


def sql_of_one(editor: Editor) -> None:
    """Every statement of one PUT, with its time (``connection.execute_wrapper``)."""
    from django.db import connection

    log: list[tuple[float, str]] = []

    def timer(execute, sql, params, many, context):
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            log.append(((time.perf_counter() - t) * 1000, sql))

    t = time.perf_counter()
    with connection.execute_wrapper(timer):
        editor.put()
    total = (time.perf_counter() - t) * 1000
    print(f"  SQL of one PUT: {len(log)} statements, {sum(ms for ms, _ in log):.2f} ms of {total:.2f} ms")
    for ms, sql in log:
        print(f"    {ms:6.2f} ms  {' '.join(sql.split())[:150]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="sqlite:////tmp/put_profile.sqlite3")
    parser.add_argument("--size", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=60)
    parser.add_argument("--data", default="/tmp/put_profile_data", help="where the data set is written")
    parser.add_argument("--kinds", action="store_true", help="also a weekly series and an object with a VTIMEZONE")
    parser.add_argument("--sql", action="store_true", help="print the statements of one PUT with their times")
    parser.add_argument("--profile", action="store_true", help="pyinstrument profile of --repeat PUTs")
    args = parser.parse_args()
    # As ``servers.start_terminsync`` runs gunicorn: no DEBUG (no query log), Redis when one listens.
    os.environ.update({"DEBUG": "0", "SECRET_KEY": "bench-" + "x" * 40, "ALLOWED_HOSTS": "127.0.0.1",
                       "LOG_LEVEL": "WARNING"})
    if caldav_bench.servers.redis_url():
        os.environ["REDIS_URL"] = caldav_bench.servers.redis_url()
    caldav_bench.setup_django(args.database_url)
    slug = caldav_bench.prepare([args.size], Path(args.data))[args.size]
    from django.core.wsgi import get_wsgi_application

    app = get_wsgi_application()
    auth = "Basic " + base64.b64encode(f"bench:{caldav_bench.PASSWORD}".encode()).decode()
    print(f"database: {args.database_url}; N={args.size}; median of {args.repeat} PUTs in ms", flush=True)
    for kind, editor in editors(app, auth, slug, args.kinds).items():
        for _ in range(5):
            editor.put()
        samples, cpu = [], []
        for _ in range(args.repeat):
            t, c = time.perf_counter(), time.process_time()
            editor.put()
            samples.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
        print(f"  PUT with If-Match ({kind}): median {statistics.median(samples):.2f} ms, "
              f"min {min(samples):.2f}, max {max(samples):.2f}; this process's CPU: median "
              f"{statistics.median(cpu):.2f} ms", flush=True)
        if args.sql:
            sql_of_one(editor)
        if args.profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0002)
            with profiler:
                for _ in range(args.repeat):
                    editor.put()
            print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
