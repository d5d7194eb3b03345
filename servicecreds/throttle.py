"""Counting failed logins per (scope, username, client address) in Django's cache.

The counter lives in the cache so that all workers share it (``REDIS_URL`` in
production; per-process memory in development). Keys are keyed hashes (HMAC with
``SECRET_KEY``): usernames and addresses do not appear in the cache in clear.

The window is fixed: it starts with the first failure and ends ``FAILURE_WINDOW``
seconds later, however many failures follow (``incr`` keeps the expiry). What a
door does while throttled is its own policy: the CalDAV door still lets a
password through that verifies (``authentication.py``), the web logins refuse
until the window ends (``login.py``).

Scopes keep the doors apart: wrong guesses against a phone's service
credential do not lock its owner out of "Mein Konto", and vice versa.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.core.cache import cache

MAX_FAILURES = 10
FAILURE_WINDOW = 300  # seconds


def _key(scope: str, username: str, client: str) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), "\0".join((username.lower(), client)).encode(), hashlib.sha256)
    return f"servicecreds:failures:{scope}:{digest.hexdigest()}"


def failures(scope: str, username: str, client: str) -> int:
    return cache.get(_key(scope, username, client)) or 0


def is_throttled(scope: str, username: str, client: str) -> bool:
    return failures(scope, username, client) >= MAX_FAILURES


def record_failure(scope: str, username: str, client: str) -> int:
    """Count one failure; returns the count within the current window."""
    key = _key(scope, username, client)
    cache.add(key, 0, FAILURE_WINDOW)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, FAILURE_WINDOW)
        return 1
