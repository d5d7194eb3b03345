"""How close to the least possible cost Terminsync's calendar-multiget of 100 is (issue 13).

Runs, on the database ``make bench`` filled (run it first) and interleaved in a shuffled order each
round: the floor (a trivial GET), Terminsync under gunicorn as ``make bench`` runs it, the **bare
multiget** (``bare_multiget.py``: the same statement and the same bytes from a WSGI app with no Django,
no login and no access rule, under the same gunicorn settings) and, given ``--radicale-python``,
Radicale on the same objects.

    .venv/bin/python bench/multiget_bound.py --database-url postgres://postgres@127.0.0.1:5432/terminsync_bench \\
        --radicale-python bench/.peers/radicale-venv/bin/python

Prints median and p95 in ms and each multiget's ratio to Radicale's. What the bare multiget costs is
what PostgreSQL, gunicorn and the client cost on this machine for these 100 objects; what Terminsync
costs above it is Django's request handling, the login and the access rule, the XML body, rendering.
"""

from __future__ import annotations

import argparse
import os
import subprocess
from pathlib import Path

import servers
import workloads
from caldav_bench import shuffled_rounds, stats
from lxml import etree

HERE = Path(__file__).resolve().parent
DAV, CALDAV = "{DAV:}", "{urn:ietf:params:xml:ns:caldav}"


def start_bare(database_url: str, slug: str) -> servers.Server:
    """``bare_multiget.py`` under gunicorn with ``make bench``'s settings (2 workers × 4 threads, keep-alive)."""
    port = servers.free_port()
    env = {**os.environ, "BARE_DATABASE_URL": database_url, "BARE_SLUG": slug}
    proc = subprocess.Popen(servers.gunicorn("bare_multiget:application", port, workers=2, threads=4), cwd=HERE, env=env)
    base = f"http://127.0.0.1:{port}"
    servers.wait_until_up(proc, base + "/", "bare multiget")
    return servers.Server("bare multiget", base, f"{base}/caldav/bench/{slug}/", None, proc)


def objects(response) -> dict[str, tuple[str, str]]:
    """{href: (ETag, calendar-data)} of a multistatus: what a client takes from it."""
    root = etree.fromstring(response.content)
    return {r.findtext(f"{DAV}href"): (r.findtext(f".//{DAV}getetag"), r.findtext(f".//{CALDAV}calendar-data"))
            for r in root.iter(f"{DAV}response")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--size", type=int, default=10_000, help="the data set make bench loaded")
    parser.add_argument("--radicale-python")
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=8)
    args = parser.parse_args()
    slug = f"raum-{args.size}"
    floor = servers.start_floor()
    started = [floor]
    try:
        ours = servers.start_terminsync(args.database_url, slug, workers=2, threads=4)
        started.append(ours)
        bare = start_bare(args.database_url, slug)
        started.append(bare)
        c = workloads.Client("Terminsync", ours.collection, ours.auth)
        c.learn()
        keys = workloads.sample_keys(sorted(c.hrefs), 100)
        body = workloads.multiget(c, keys)
        bare_client = workloads.Client("bare multiget", bare.collection, None)
        floor_session = workloads.Client("floor", floor.collection, None).session
        calls = {"floor GET": lambda: floor_session.get(floor.collection),
                 "Terminsync": lambda: c.dav("REPORT", body, Depth="1"),
                 "bare multiget": lambda: bare_client.dav("REPORT", body, Depth="1")}
        if args.radicale_python:
            radicale = servers.start_radicale(args.radicale_python, HERE / "radicale-data",
                                              HERE / "data" / str(args.size), args.size)
            started.append(radicale)
            rc = workloads.Client("Radicale", radicale.collection, radicale.auth)
            rc.learn()
            radicale_body = workloads.multiget(rc, keys)
            calls["Radicale"] = lambda: rc.dav("REPORT", radicale_body, Depth="1")
        answers = {name: objects(calls[name]()) for name in ("Terminsync", "bare multiget")}
        if answers["Terminsync"] != answers["bare multiget"] or len(answers["Terminsync"]) != len(keys):
            raise SystemExit("the bare multiget and Terminsync did not answer the same 100 objects")
        samples = shuffled_rounds(calls, args.warmup, args.rounds)
        peer = stats(samples["Radicale"])[0] if "Radicale" in samples else None
        print(f"{'multiget of 100':16} {'median':>7} {'p95':>7} {'/ Radicale':>11}")
        for k, s in samples.items():
            median, p95 = stats(s)
            ratio = f"{median / peer:11.2f}" if peer and k != "floor GET" else ""
            print(f"{k:16} {median:7.2f} {p95:7.2f} {ratio}")
    finally:
        for s in started:
            s.stop()


if __name__ == "__main__":
    main()
