"""HTTP Basic credentials → a service credential and the access decision.

Django's password hashers are deliberately slow (hundreds of ms). A phone sends
its password with every request, so a successful verification is remembered for
a short time in the cache, under a *keyed* hash (HMAC with SECRET_KEY) of
username and password; the value is tied to the credential's stored hash and
modification time, so a new password or any edit of the credential invalidates
it at once. The clear password is never stored, cached or logged.

Guessing is throttled per (username, client address): after ``MAX_FAILURES``
wrong passwords within ``FAILURE_WINDOW`` seconds, passwords that are not
already known to be right are refused without being checked until the window
ends. A phone that keeps sending its correct password is never affected: its
password is in the verification cache.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.cache import cache

from .access import Decision, credential_decision, refuse
from .models import ServiceCredential

log = logging.getLogger("terminsync.auth")
VERIFIED_TTL = 300  # seconds a verified password is remembered
MAX_FAILURES = 10
FAILURE_WINDOW = 300
_DUMMY_HASH = None


@dataclass(frozen=True)
class AuthResult:
    credential: ServiceCredential | None
    decision: Decision


def _keyed(*parts: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), "\0".join(parts).encode(), hashlib.sha256).hexdigest()


def _cache_key(username: str, password: str) -> str:
    return "servicecreds:verified:" + _keyed(username.lower(), password)


def _failures_key(username: str, client: str) -> str:
    return "servicecreds:failures:" + _keyed(username.lower(), client)


def _stamp(cred: ServiceCredential) -> str:
    return f"{cred.pk}:{cred.password}:{cred.modified.isoformat()}"


def _equalize_timing(password: str) -> None:
    """Run one hash for unknown users too, so response time does not reveal usernames."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = make_password("terminsync-dummy")
    check_password(password, _DUMMY_HASH)


def _failed(username: str, client: str) -> None:
    key = _failures_key(username, client)
    cache.add(key, 0, FAILURE_WINDOW)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, FAILURE_WINDOW)


def lookup(username: str) -> ServiceCredential | None:
    return (ServiceCredential.objects.select_related("user", "user__employee", "branch")
            .filter(username__iexact=username).first())


def authenticate(username: str, password: str, client: str = "") -> AuthResult:
    """Verify a username/password pair and apply the credential part of the access rule."""
    cred = lookup(username)
    key = _cache_key(username, password)
    if cred is not None and cred.has_password and cache.get(key) == _stamp(cred):
        return AuthResult(cred, credential_decision(cred))
    if (cache.get(_failures_key(username, client)) or 0) >= MAX_FAILURES:
        return AuthResult(cred, refuse("throttled"))
    if cred is None:
        _equalize_timing(password)
        _failed(username, client)
        return AuthResult(None, refuse("unknown_user"))
    if not cred.has_password:
        return AuthResult(cred, refuse("no_password"))
    if not cred.check_password(password):
        _failed(username, client)
        return AuthResult(cred, refuse("wrong_password"))
    cache.set(key, _stamp(cred), VERIFIED_TTL)
    return AuthResult(cred, credential_decision(cred))
