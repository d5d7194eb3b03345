"""Security test fixtures: a hasher that counts its work, and a clock for the cache.

Not autouse: other test modules share this directory; the throttle tests ask for them.
"""

from __future__ import annotations

import time
import types

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher


class CountingHasher(MD5PasswordHasher):
    """MD5 (fast) that counts every hash it computes: ``check_password`` and ``make_password`` both encode once."""

    calls = 0

    def encode(self, password, salt):
        CountingHasher.calls += 1
        return super().encode(password, salt)


@pytest.fixture
def counting_hasher(settings):
    settings.PASSWORD_HASHERS = ["tests.security.conftest.CountingHasher"]
    CountingHasher.calls = 0
    return CountingHasher


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(settings, monkeypatch):
    """The cache's notion of time, under the test's control (per-process memory cache, as in development)."""
    from django.core.cache.backends import base, locmem

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "security-tests"}}
    c = Clock()
    fake = types.SimpleNamespace(time=c.time)
    monkeypatch.setattr(base, "time", fake)
    monkeypatch.setattr(locmem, "time", fake)
    from servicecreds import authentication, near_cache  # the per-process front of the cache: same clock

    monkeypatch.setattr(near_cache, "time", types.SimpleNamespace(monotonic=c.time))
    monkeypatch.setattr(authentication, "time", types.SimpleNamespace(monotonic=c.time))
    from django.core.cache import cache

    cache.clear()
    yield c
    cache.clear()
