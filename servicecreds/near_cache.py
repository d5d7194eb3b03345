"""A small per-process cache in front of Django's cache, for what every phone request reads.

With ``REDIS_URL`` each lookup in the shared cache is a network round trip plus unpickling:
three of them per request (the verified password, its "last used" touch, the access rule's
inputs) cost more than the rest of a warm GET (``bench/request_overhead.py``: 3.2 ms with
Redis against 2.7 ms without). Both entries kept here are safe to hold per process because
their validity is checked against the credential row read fresh on every request: the rule's
inputs are keyed by the access version (``decision_cache``), a verified password by the
stored password hash (``authentication._stamp``). The shared cache stays the source that
other workers fill and read; this only saves asking it again.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any

MAX_ENTRIES = 2048


class NearCache:
    """A bounded, thread-safe LRU of (value, expiry) pairs (gthread workers share one process)."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._data: OrderedDict[str, tuple[Any, float]] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_entries

    def get(self, key: str) -> Any | None:
        with self._lock:
            item = self._data.get(key)
            if item is None:
                return None
            if item[1] < time.monotonic():
                del self._data[key]
                return None
            self._data.move_to_end(key)
            return item[0]

    def set(self, key: str, value: Any, ttl: float) -> None:
        with self._lock:
            self._data[key] = (value, time.monotonic() + ttl)
            self._data.move_to_end(key)
            while len(self._data) > self._max:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


inputs = NearCache()  # decision_cache.Inputs by their versioned key
verified = NearCache()  # authentication: verified-password key -> (stamp, when the shared entry was touched)
polls = NearCache()  # caldav_endpoint.health: credentials whose sync poll this process asked about lately
