"""gunicorn's gthread worker (what ``make bench`` runs) against its sync worker (what README's production
command runs behind nginx), on the database ``make bench`` filled (run it first).

Both servers run at once (2 workers each, ``DEBUG=0``) with the floor, and their requests are
interleaved in a shuffled order each round: GET one object, PROPFIND Depth 0 and a multiget of 100.
A sync worker closes the connection after each response, so its client connects anew every time, as
nginx does towards its upstream unless told to keep connections alive; gthread keeps them open.

    .venv/bin/python bench/worker_classes.py --database-url postgres://postgres@127.0.0.1:5432/terminsync_bench

Prints median and p95 in ms per worker class and request (issue 13: does a sync worker, one thread
and no hand-over between gthread's poller and its pool, answer sooner?).
"""

from __future__ import annotations

import argparse

import servers
import workloads
from caldav_bench import shuffled_rounds, stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--slug", default="raum-10000", help="the calendar make bench filled")
    parser.add_argument("--rounds", type=int, default=80)
    parser.add_argument("--warmup", type=int, default=8)
    args = parser.parse_args()
    floor = servers.start_floor()
    started = [floor]
    try:
        floor_session = workloads.Client("floor", floor.collection, None).session
        calls = {("floor", "GET"): lambda: floor_session.get(floor.collection)}
        for kind, threads in (("gthread", 4), ("sync", 1)):
            server = servers.start_terminsync(args.database_url, args.slug, workers=2, threads=threads)
            started.append(server)
            c = workloads.Client(kind, server.collection, server.auth)
            c.learn()
            keys = sorted(c.hrefs)
            middle, body = keys[len(keys) // 2], workloads.multiget(c, workloads.sample_keys(keys, 100))
            calls[(kind, "GET")] = lambda c=c, k=middle: c.session.get(c.url(k))
            calls[(kind, "PROPFIND Depth 0")] = lambda c=c: c.dav("PROPFIND", workloads.PROPFIND_D0, Depth="0")
            calls[(kind, "multiget of 100")] = lambda c=c, b=body: c.dav("REPORT", b, Depth="1")
        samples = shuffled_rounds(calls, args.warmup, args.rounds)
        print(f"{'worker':8} {'request':18} {'median':>7} {'p95':>7}")
        for (kind, request), s in sorted(samples.items()):
            median, p95 = stats(s)
            print(f"{kind:8} {request:18} {median:7.2f} {p95:7.2f}")
    finally:
        for s in started:
            s.stop()


if __name__ == "__main__":
    main()
