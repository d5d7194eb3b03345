"""``make bench``'s order of requests: interleaved so that no server is measured warm from its own last request."""

import importlib.util
import sys
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _bench():
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location("caldav_bench", BENCH / "caldav_bench.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCH))


def _clients(*names):
    return [SimpleNamespace(name=n) for n in names]


def test_every_request_follows_another_servers_and_every_client_runs_once_per_round():
    bench = _bench()
    clients = _clients("Terminsync", "Terminsync N=1000", "Radicale", "Xandikos", "floor")
    orders = bench.interleaved(clients, 40)
    assert all(sorted(c.name for c in order) == sorted(c.name for c in clients) for order in orders)
    sequence = [bench.server_of(c) for order in orders for c in order]
    assert all(a != b for a, b in zip(sequence, sequence[1:], strict=False))
    # not a rotation: the smaller calendar follows more than one neighbour
    before_small = Counter(prev.name for order in orders for prev, c in zip(order, order[1:], strict=False)
                           if c.name == "Terminsync N=1000")
    assert len(before_small) >= 2 and "Terminsync" not in before_small


def test_without_peers_the_order_is_still_given():
    bench = _bench()
    orders = bench.interleaved(_clients("Terminsync", "Terminsync N=1000"), 5)
    assert [len(o) for o in orders] == [2] * 5


def test_each_calendar_size_follows_the_same_neighbours():
    bench = _bench()
    clients = _clients("Terminsync", "Terminsync N=1000", "Radicale", "Xandikos")
    orders = bench.interleaved(clients, 20)

    def before(name):
        sequence = [c.name for order in orders for c in order]
        return Counter(bench.server_of(SimpleNamespace(name=p)) for p, c in zip(sequence, sequence[1:], strict=False)
                       if c == name)
    ahead_big, ahead_small = before("Terminsync"), before("Terminsync N=1000")
    ahead_big.pop("Terminsync", None), ahead_small.pop("Terminsync", None)
    assert ahead_big and ahead_big == ahead_small  # the very first request of the run follows nothing
