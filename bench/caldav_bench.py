#!/usr/bin/env python
"""CalDAV benchmark: Terminsync against Radicale and Xandikos and the floor, interleaved (``make bench``).

    .venv/bin/python bench/caldav_bench.py --sizes 1000,10000 \\
        --database-url postgres://postgres@127.0.0.1:5432/terminsync_bench \\
        --radicale-python bench/.peers/radicale-venv/bin/python \\
        --xandikos-python bench/.peers/xandikos-venv/bin/python

For each size N one data set of N ``.ics`` files is written (``bench/dataset.py``) and loaded
into Terminsync with ``manage.py import_ics``, one calendar per size; the largest goes into
the peers' storage as files. Terminsync runs under gunicorn (``DEBUG=0``, Redis when one
listens on 6379); the floor is Python's own HTTP server answering a trivial GET. Each workload
runs interleaved (A C B D B A …: shuffled each round, never the same server twice in a row, see
``interleaved``) over the floor, Terminsync's largest calendar, its smaller ones (for the scale
ratios, measured in the same rounds) and the peers: W warm-ups then R timed repetitions, one
keep-alive session each. Reported are median and p95 in ms, the ratio to the faster peer, whether
every server named the same objects, then 8 clients (70 % week query, 20 % GET, 10 % PUT) for a
fixed time with errors and the p95 of GET under load, and memory per process after it.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import dataset  # noqa: E402
import servers  # noqa: E402
import workloads  # noqa: E402

PASSWORD = servers.PASSWORD


def create_database(database_url: str) -> None:
    """A PostgreSQL URL's database is created when missing (the server's own ``postgres`` database is asked)."""
    if not database_url.startswith(("postgres://", "postgresql://")):
        return
    import psycopg

    base, name = database_url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(database_url: str) -> None:
    create_database(database_url)
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def prepare(sizes: list[int], data_root: Path) -> dict[int, str]:
    """The bench branch, user, credential and one room per size, filled with the data set."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission
    from django.core.management import call_command, get_commands
    from django.db import connection

    from branches.models import Branch
    from scheduler.models import Employee, Resource
    from servicecreds.models import ServiceCredential

    branch, _ = Branch.objects.get_or_create(code="bench", defaults={"name": "Benchmark"})
    # The peers serve every object whole and writable; so does the bench room (the default level,
    # "Ohne Kundendaten", would make it read-only and redacted on the phone).
    Branch.objects.filter(pk=branch.pk).update(privacy="full")
    user, created = get_user_model().objects.get_or_create(username="bench")
    if created:
        user.set_unusable_password()
        user.save()
        user.user_permissions.set(Permission.objects.filter(content_type__app_label="scheduler"))
    Employee.objects.get_or_create(user=user, defaults={"display_name": "Bench", "branch": branch})
    cred, _ = ServiceCredential.objects.get_or_create(username="bench", defaults={
        "user": user, "branch": branch, "confirmed": True})
    if not cred.check_password(PASSWORD):
        cred.set_password(PASSWORD)
        cred.save()
    slugs = {}
    for n in sizes:
        folder = dataset.write(n, data_root)
        room = Resource.objects.filter(name=f"Raum {n}", branch=branch).first()
        if room is None:
            room = Resource(name=f"Raum {n}", branch=branch, kind="location", sync_allowed=True)
            room.save()
        if room.bookings.filter(deleted_at__isnull=True).count() < n:
            t = time.perf_counter()
            if "import_ics" not in get_commands():
                raise SystemExit("manage.py import_ics is missing")
            call_command("import_ics", "--resource", room.slug, str(folder))
            print(f"  import_ics: {n} objects into {room.slug} in {time.perf_counter() - t:.1f} s", flush=True)
        slugs[n] = room.slug
    with connection.cursor() as cur:
        # What autovacuum gives a live server after an import: fresh statistics and, on PostgreSQL, the
        # visibility map, without which an index-only scan still reads every row's heap page (a multiget
        # of 100 ran 0.4 ms instead of 0.2 in PostgreSQL). This machine kind's server runs with
        # autovacuum off, so the bench does it once, here.
        cur.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return slugs


def server_of(client) -> str:
    """Which server process answers ``client``: Terminsync's calendars of every size share one gunicorn."""
    return "Terminsync" if client.name.startswith("Terminsync") else client.name


def interleaved(clients: list, rounds: int, seed: int = 13) -> list[list]:
    """One order of ``clients`` per round: shuffled, and never the same server twice in a row.

    A request right after the same server's previous one finds its processes awake and its caches
    warm; after another server's, it pays for waking up (``idle_penalty.py``: two to three times the
    cost on this machine kind). A rotation keeps the cyclic order, so each client would always follow
    the same neighbour: the 1 000-object calendar always ran right after the 10 000-object one on
    the same gunicorn, warm, and the scale ratio measured that (1.58 for Depth 0), not the data.
    Here every request follows another server's, as a phone's request follows other phones' work.
    Rounds come in pairs: the second is the first with Terminsync's calendars swapped among their
    places, so that each size follows the same neighbours (a request after Radicale's 700 ms of work
    finds colder caches than one after the floor's).
    """
    rng = random.Random(seed)
    orders, last = [], None
    for rnd in range(rounds):
        if rnd % 2:
            orders.append(_sizes_swapped(orders[-1]))
            continue
        for _attempt in range(1000):  # without peers no order avoids it: then the last one drawn
            order = rng.sample(clients, len(clients))
            # the swapped twin follows this order: it must not start with the server this one ends with
            servers_in_turn = [last, *map(server_of, order), server_of(order[0])]
            if all(a != b for a, b in zip(servers_in_turn, servers_in_turn[1:], strict=False)):
                break
        orders.append(order)
        last = server_of(order[-1])  # the server its swapped twin ends with, too
    return orders


def _sizes_swapped(order: list) -> list:
    """``order`` with Terminsync's calendars moved one place along among the places they hold."""
    places = [i for i, c in enumerate(order) if server_of(c) == "Terminsync"]
    swapped = list(order)
    for here, there in zip(places, places[1:] + places[:1], strict=True):
        swapped[there] = order[here]
    return swapped


def timed(name: str, repeat: int, warmup: int, clients: list, samples: dict[str, list[float]],
          first: dict[str, object]) -> None:
    """Interleave: each round runs the workload once per client, in the order ``interleaved`` gives."""
    for rnd, order in enumerate(interleaved(clients, warmup + repeat)):
        for c in order:
            if rnd >= warmup + c.rounds:
                continue
            call = c.work[name](c)
            t = time.perf_counter()
            result = call()
            elapsed = (time.perf_counter() - t) * 1000
            if rnd >= warmup:
                samples.setdefault(c.name, []).append(elapsed)
                first.setdefault(c.name, result)


def shuffled_rounds(calls: dict, warmup: int, rounds: int, seed: int = 13) -> dict[object, list[float]]:
    """ms per call of each of ``calls`` (key -> a request), all of them once per round in a shuffled order that
    never starts with the call the round before ended with (``interleaved``: each follows another's); ``warmup``
    rounds untimed. A response of 300 or more stops the run: a fast error would pass for a fast answer."""
    rng = random.Random(seed)
    samples: dict[object, list[float]] = {k: [] for k in calls}
    last = None
    for rnd in range(warmup + rounds):
        order = list(calls)
        rng.shuffle(order)
        while len(order) > 1 and order[0] == last:
            rng.shuffle(order)
        for k in order:
            start = time.perf_counter()
            response = calls[k]()
            elapsed = (time.perf_counter() - start) * 1000
            if response.status_code >= 300:
                raise SystemExit(f"{k}: HTTP {response.status_code}")
            if rnd >= warmup:
                samples[k].append(elapsed)
        last = order[-1]
    return samples


def stats(xs: list[float]) -> tuple[float, float]:
    xs = sorted(xs)
    return statistics.median(xs), xs[min(len(xs) - 1, int(round(len(xs) * 0.95)) - 1)]


def check_same(first: dict[str, object], clients: list) -> str:
    """Did every server name the same objects? Returns '' or who deviates, by how many, examples."""
    sets = {c.name: {workloads.key(h) for h in workloads.listed(first[c.name], c.collection)}
            for c in clients if c.name in first}
    ours = sets.get("Terminsync", set())
    notes = []
    for peer, keys in sets.items():
        if peer != "Terminsync" and keys != ours:
            extra, missing = sorted(keys - ours)[:3], sorted(ours - keys)[:3]
            notes.append(f"{peer} {len(keys)} vs ours {len(ours)} (only {peer}: {extra}, only ours: {missing})")
    return "; ".join(notes)


def run(clients: list, compared: list, floor, args) -> dict:
    """Every workload, interleaved over ``clients`` (and the floor for GET and PROPFIND Depth 0);
    ``compared`` are the clients on the same data set, whose listings must name the same objects."""
    table, deviations = {}, {}
    for name in workloads.NAMES:
        if args.only and not name.startswith(tuple(args.only)):
            continue
        samples, first = {}, {}
        participants = clients + ([floor] if name.startswith(("GET", "PROPFIND Depth 0")) else [])
        timed(name, args.repeat, args.warmup, participants, samples, first)
        table[name] = {s: stats(v) for s, v in samples.items()}
        if name in workloads.LISTINGS:
            deviations[name] = check_same(first, compared)
        print(f"  {name}: " + ", ".join(f"{s} {m:.1f}" for s, (m, _) in table[name].items()), flush=True)
    return {"table": table, "deviations": deviations}


def print_report(result: dict, loads: dict, memory: dict, names: list[str], big: int) -> None:
    res = result["table"]
    print(f"\n### N = {big}: median ms (p95)\n")
    print("| request | " + " | ".join(names) + " | Terminsync / faster peer | same objects? |")
    print("|---" * (len(names) + 3) + "|")
    for w, row in res.items():
        cells = [f"{row[s][0]:.1f} ({row[s][1]:.1f})" if s in row else "" for s in names]
        peers = [row[s][0] for s in names if s in row and s in loads and s != "Terminsync"]
        ratio = f"{row['Terminsync'][0] / min(peers):.2f}" if peers else ""
        if w.startswith(("GET", "PROPFIND Depth 0")):  # against the floor timed in the same rounds as the row
            ratio += f" · {row['Terminsync'][0] / row['floor'][0]:.1f}× the floor"
        dev = result["deviations"].get(w, "") or ("yes" if w in workloads.LISTINGS else "")
        print(f"| {w} | " + " | ".join(cells) + f" | {ratio} | {dev} |")
    print("\n8 clients (70 % week query, 20 % GET, 10 % PUT):\n")
    for s, r in loads.items():
        get_p95 = r.get_ms[int(len(r.get_ms) * 0.95) - 1] if r.get_ms else float("nan")
        idle = res["GET one object"][s][0]
        print(f"- {s}: {r.ops_per_s:.1f} req/s, errors {r.errors or 0}, GET p95 under load {get_p95:.1f} ms "
              f"({get_p95 / idle:.1f}× its idle median)")
    print("\nMemory after the run (RSS MiB per process):\n")
    for s, rss in memory.items():
        print(f"- {s}: " + ", ".join(f"{m:.0f}" for m in rss))
    print()
    for small in [n for n in names if n.startswith("Terminsync N=")]:
        for w in ("PROPFIND Depth 0 (ctag + sync-token)", "sync-collection after 10 changes", "GET one object"):
            print(f"- {w}: Terminsync at N={big} / at {small[len('Terminsync '):]} = "
                  f"{res[w]['Terminsync'][0] / res[w][small][0]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=f"sqlite:///{HERE / 'bench.sqlite3'}")
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=8)
    parser.add_argument("--peer-repeat", type=int, help="fewer timed rounds for the (slow) peers")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--load-seconds", type=float, default=10)
    parser.add_argument("--radicale-python")
    parser.add_argument("--xandikos-python")
    parser.add_argument("--only", help="comma-separated workload name prefixes, and 'load' for the 8 clients: "
                                       "a quick look at one target, not a result for bench/README.md")
    args = parser.parse_args()
    args.only = [p.strip() for p in args.only.split(",")] if args.only else []
    sizes = sorted(int(x) for x in args.sizes.split(","))
    big = sizes[-1]
    print(f"database: {args.database_url.split('@')[-1]}", flush=True)
    setup_django(args.database_url)
    slugs = prepare(sizes, HERE / "data")
    floor = servers.start_floor()
    floor_client = workloads.Client("floor", floor.collection, None)
    floor_client.rounds = args.repeat
    floor_client.work = {  # the floor answers every GET alike, a PROPFIND as a GET
        "GET one object": lambda c: lambda: c.session.get(floor.collection),
        "PROPFIND Depth 0 (ctag + sync-token)": lambda c: lambda: c.session.get(floor.collection)}
    started = []
    try:
        # one gunicorn serves every size: the smaller calendars run in the same rounds, for the scale ratios
        ours = servers.start_terminsync(args.database_url, slugs[big], args.workers, args.threads)
        started.append(ours)
        targets = [(f"Terminsync N={n}", ours.collection.replace(slugs[big], slugs[n]), ours.auth)
                   for n in sizes if n != big]
        targets.insert(0, ("Terminsync", ours.collection, ours.auth))
        peers = []
        if args.radicale_python:
            peers.append(servers.start_radicale(args.radicale_python, HERE / "radicale-data", HERE / "data" / str(big),
                                                big))
        if args.xandikos_python:
            peers.append(servers.start_xandikos(args.xandikos_python, HERE / "xandikos-data",
                                                HERE / "data" / str(big), big))
        started += peers
        targets += [(p.name, p.collection, p.auth) for p in peers]
        clients = []
        for name, collection, auth in targets:
            c = workloads.Client(name, collection, auth)
            c.rounds = args.repeat if name.startswith("Terminsync") else (args.peer_repeat or args.repeat)
            c.learn()
            c.work = workloads.workloads(sorted(c.hrefs))  # same keys on the same data set: same objects
            print(f"  {name}: {len(c.hrefs)} objects", flush=True)
            clients.append(c)
        compared = [c for c in clients if not c.name.startswith("Terminsync N=")]
        result = run(clients, compared, floor_client, args)
        if args.only and "load" not in args.only:
            return
        loads, memory = {}, {}
        for s, c in zip([ours] + peers, compared, strict=True):
            loads[s.name] = workloads.load(c, sorted(c.hrefs), args.load_seconds)
            memory[s.name] = s.rss_mib()
        if args.only:
            for name, load in loads.items():
                print(f"  8 clients, {name}: {load.ops_per_s:.1f} req/s, errors {load.errors}, "
                      f"GET median {statistics.median(load.get_ms):.1f} p95 {stats(load.get_ms)[1]:.1f} ms")
            return
        names = ["floor"] + [c.name for c in clients]
        print_report(result, loads, memory, names, big)
    finally:
        for s in started:
            s.stop()
        floor.stop()

if __name__ == "__main__":
    main()
