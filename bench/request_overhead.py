"""The fixed cost of a phone's request: Terminsync under gunicorn against a bare HTTP server (the floor).

Measures what an iPhone polls (PROPFIND Depth 0 on a calendar for ctag + sync-token) and a
GET of one object, interleaved with the same two requests against a bare ``http.server``
answering a few bytes: floor GET, Terminsync GET, floor PROPFIND, Terminsync PROPFIND, …,
over one keep-alive ``requests.Session``. Prints median and p95 per request and the ratio of
the medians to the floor's (target of issue 13: at most 3×).

The data are ``manage.py loaddemo`` in a SQLite file (``bench/overhead.sqlite3``, made on the
first run); the demo credential ``anna-caldav`` asks for its first calendar and an object in it.

    .venv/bin/python bench/request_overhead.py --repeat 300 --warmup 30
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB = ROOT / "bench" / "overhead.sqlite3"
PASSWORD = "Bench-Overhead-2026"
USERNAME = "anna-caldav"
PROPFIND_CTAG = (b'<?xml version="1.0" encoding="utf-8"?>'
                 b'<d:propfind xmlns:d="DAV:" xmlns:cs="http://calendarserver.org/ns/">'
                 b'<d:prop><cs:getctag/><d:sync-token/></d:prop></d:propfind>')
FLOOR_SERVER = textwrap.dedent("""
    import sys
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Floor(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, like gunicorn
        disable_nagle_algorithm = True  # one write per response, as gunicorn does
        wbufsize = 65536

        def answer(self):
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            body = b"floor\\n"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_PROPFIND = do_OPTIONS = answer

        def log_message(self, *args):
            pass

    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Floor).serve_forever()
""")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env() -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": f"sqlite:///{DB}", "DEBUG": "0", "SECRET_KEY": "bench-" + "x" * 40,
            "ALLOWED_HOSTS": "127.0.0.1", "LOG_LEVEL": "WARNING", "SECURE_SSL_REDIRECT": "0",
            "PYTHONWARNINGS": "ignore:No directory at:UserWarning"}  # WhiteNoise without collectstatic


def prepare() -> None:
    """A filled SQLite database: the migrations and ``loaddemo`` with a known password."""
    fresh = not DB.exists()
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v", "0"], cwd=ROOT, env=server_env(), check=True)
    if fresh:
            subprocess.run([*manage, "loaddemo", "--password", PASSWORD], cwd=ROOT, env=server_env(), check=True,
                       stdout=subprocess.DEVNULL)


def wait_until_up(proc: subprocess.Popen, base: str, name: str) -> None:
    import requests

    for _ in range(200):
        try:
            requests.options(base + "/", timeout=1)
            return
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"{name} did not start")


def start(args: list[str], name: str, port: int) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(args, cwd=ROOT, env=server_env())
    base = f"http://127.0.0.1:{port}"
    wait_until_up(proc, base, name)
    return proc, base


def hrefs(text: bytes) -> list[str]:
    from lxml import etree

    return [r.findtext("{DAV:}href") for r in etree.fromstring(text).iter("{DAV:}response")]


def find_targets(session, base: str) -> tuple[str, str]:
    """The first calendar of the demo credential and one object in it (discovered like a client)."""
    home = f"/caldav/{USERNAME}/"
    listing = session.request("PROPFIND", base + home, headers={"Depth": "1"}).content
    for calendar in [h for h in hrefs(listing) if h != home]:
        objects = session.request("PROPFIND", base + calendar, headers={"Depth": "1"}).content
        names = [h for h in hrefs(objects) if h != calendar]
        if names:
            return calendar, names[0]
    raise SystemExit(f"{USERNAME} has no calendar with objects")


def summary(samples: list[float]) -> tuple[float, float]:
    samples = sorted(samples)
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))]


def run(repeat: int, warmup: int, workers: int) -> None:
    import requests

    prepare()
    floor_port, ts_port = free_port(), free_port()
    floor, floor_base = start([sys.executable, "-c", FLOOR_SERVER, str(floor_port)], "floor", floor_port)
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    ts, ts_base = start([gunicorn, "config.wsgi", "-b", f"127.0.0.1:{ts_port}", "-w", str(workers),
                         "--log-level", "warning"], "gunicorn", ts_port)
    try:
        session = requests.Session()
        session.auth = (USERNAME, PASSWORD)
        calendar, obj = find_targets(session, ts_base)
        propfind = {"Depth": "0", "Content-Type": "application/xml; charset=utf-8"}
        workloads = {
            ("GET", "floor"): lambda: session.get(floor_base + obj),
            ("GET", "terminsync"): lambda: session.get(ts_base + obj),
            ("PROPFIND D0", "floor"): lambda: session.request("PROPFIND", floor_base + calendar, data=PROPFIND_CTAG,
                                                              headers=propfind),
            ("PROPFIND D0", "terminsync"): lambda: session.request("PROPFIND", ts_base + calendar,
                                                                   data=PROPFIND_CTAG, headers=propfind),
        }
        samples: dict[tuple[str, str], list[float]] = {key: [] for key in workloads}
        for i in range(warmup + repeat):
            for key, fn in workloads.items():  # interleaved: A B A B …
                t = time.perf_counter()
                resp = fn()
                elapsed = (time.perf_counter() - t) * 1000
                if resp.status_code not in (200, 207):
                    raise SystemExit(f"{key}: HTTP {resp.status_code}")
                if i >= warmup:
                    samples[key].append(elapsed)
    finally:
        ts.terminate()
        floor.terminate()
        ts.wait()
        floor.wait()
    print(f"{repeat} repetitions after {warmup} warm-ups, gunicorn {workers} workers, DEBUG=0, SQLite ({DB.name}); "
          f"calendar {calendar}, object {obj}")
    print(f"{'request':<14}{'server':<12}{'median ms':>10}{'p95 ms':>9}{'× floor':>9}")
    for request in ("GET", "PROPFIND D0"):
        floor_median = summary(samples[(request, "floor")])[0]
        for server in ("floor", "terminsync"):
            median, p95 = summary(samples[(request, server)])
            print(f"{request:<14}{server:<12}{median:>10.2f}{p95:>9.2f}{median / floor_median:>9.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    run(args.repeat, args.warmup, args.workers)


if __name__ == "__main__":
    main()
