"""What a pause costs the next request: the same request back to back, and after the server sat idle.

``make bench`` interleaves the servers, so Terminsync's every request follows the peers' (and the
floor's) requests: its processes slept meanwhile, and on this machine kind (a VM with two vCPUs, the
``haltpoll`` idle driver) a request after a pause costs two to three times what it costs back to back,
the floor's trivial GET included. The ratios ``make bench`` prints carry that cost; this script shows
how large it is, for the floor (Python's ``http.server``), PROPFIND Depth 0 and a multiget of 100, on the
database ``make bench`` filled (run it first).

    .venv/bin/python bench/idle_penalty.py --database-url postgres://postgres@127.0.0.1:5432/terminsync_bench

Prints the median in ms of each request back to back and after a pause of ``--pause`` ms, and the
difference: what an interleaved run adds to each request.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import servers
import workloads


def median_ms(call: Callable[[], object], rounds: int, pause: float) -> float:
    samples = []
    for _ in range(rounds):
        if pause:
            time.sleep(pause)
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--slug", default="raum-10000", help="the calendar make bench filled")
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--pause", type=float, default=40, help="ms of idleness before each paused request")
    args = parser.parse_args()
    floor = servers.start_floor()
    ours = servers.start_terminsync(args.database_url, args.slug, workers=2, threads=4)
    try:
        client = workloads.Client("Terminsync", ours.collection, ours.auth)
        client.learn()
        body = workloads.multiget(client, workloads.sample_keys(sorted(client.hrefs), 100))
        floor_session = workloads.Client("floor", floor.collection, None).session
        calls = {
            "floor GET": lambda: floor_session.get(floor.collection),
            "PROPFIND Depth 0": lambda: client.dav("PROPFIND", workloads.PROPFIND_D0, Depth="0"),
            "calendar-multiget of 100": lambda: client.dav("REPORT", body, Depth="1"),
        }
        print(f"{'request':28} {'back to back':>13} {f'after {args.pause:g} ms':>15} {'added':>8}")
        for name, call in calls.items():
            median_ms(call, 10, 0)  # warm-up
            hot = median_ms(call, args.rounds, 0)
            cold = median_ms(call, args.rounds, args.pause / 1000)
            print(f"{name:28} {hot:13.2f} {cold:15.2f} {cold - hot:8.2f}")
    finally:
        ours.stop()
        floor.stop()


if __name__ == "__main__":
    main()
