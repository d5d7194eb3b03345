"""HTTP Basic credentials → a service credential and the access decision.

Django's password hashers are deliberately slow (hundreds of ms). A phone sends
its password with every request, so a successful verification is remembered in
the cache under a *keyed* hash (HMAC with SECRET_KEY) of username and password,
and the entry's lifetime is renewed on every use (a phone that syncs keeps it).
The value is tied to the credential's stored hash and modification time, so a
new password or any edit of the credential invalidates it at once. The clear
password is never stored, cached or logged.

Every other attempt costs exactly one hash, whether the username exists, has no
password yet, or the password is wrong: response times do not tell which
usernames exist.

Guessing is counted per (username, client address) in ``throttle``. A password
that verifies is let through even while throttled (logged as
``throttled_but_verified``): a phone must never be locked out because someone
else tried passwords from the same address (shop Wi-Fi, NAT), and a throttled
phone would silently stop syncing. So for this door the counter's job is to
make guessing visible in the log, not to block it: what makes guessing
hopeless is the slow hash and a service password that is not a word.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.cache import cache

from . import decision_cache, near_cache, throttle
from .access import Decision, credential_decision, refuse
from .models import ServiceCredential
from .throttle import FAILURE_WINDOW, MAX_FAILURES  # noqa: F401  (the numbers, for callers and tests)

log = logging.getLogger("terminsync.auth")
SCOPE = "caldav"
VERIFIED_TTL = 300  # seconds a verified password is remembered after its last use
TOUCH_EVERY = 60  # seconds between renewals of the shared entry by one worker


@dataclass(frozen=True)
class AuthResult:
    credential: ServiceCredential | None
    decision: Decision


def _cache_key(username: str, password: str) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), "\0".join((username.lower(), password)).encode(), hashlib.sha256)
    return "servicecreds:verified:" + digest.hexdigest()


def _stamp(cred: ServiceCredential) -> str:
    return f"{cred.pk}:{cred.password}:{cred.modified.isoformat()}"


def _verify(cred: ServiceCredential | None, password: str) -> bool:
    """One hash for every caller: unknown users and credentials without a password hash a dummy.

    ``make_password`` runs the default hasher once, the same work ``check_password``
    does for a stored hash of that hasher (Django's ``ModelBackend`` does the same).
    """
    if cred is None or not cred.has_password:
        make_password(password)
        return False
    return cred.check_password(password)


def _refusal(cred: ServiceCredential | None, throttled: bool) -> str:
    if throttled:
        return "throttled"
    if cred is None:
        return "unknown_user"
    return "wrong_password" if cred.has_password else "no_password"


def _recently_verified(key: str, stamp: str) -> bool:
    """Was this password verified for the credential as stored now (``stamp``)? This worker's memory
    first; the shared cache otherwise, and its entry's lifetime renewed at most once a minute."""
    near = near_cache.verified.get(key)
    if near is not None and near[0] == stamp:
        if time.monotonic() - near[1] < TOUCH_EVERY:
            return True
        cache.touch(key, VERIFIED_TTL)
    elif cache.get(key) != stamp:
        return False
    near_cache.verified.set(key, (stamp, time.monotonic()), VERIFIED_TTL)
    return True


def lookup(username: str, calendar: str | None = None, name: str | None = None) -> ServiceCredential | None:
    """The credential row, fresh, with the rule's other inputs from ``decision_cache`` (one query when cached)."""
    return decision_cache.load(username, calendar, name)


def authenticate(username: str, password: str, client: str = "", calendar: str | None = None,
                 name: str | None = None) -> AuthResult:
    """Verify a username/password pair and apply the credential part of the access rule.

    ``calendar``: the slug of the calendar the request names, whose counters ``decision_cache.load``
    reads in the same statement; ``name``: the object in it a GET names, read there too."""
    cred = lookup(username, calendar, name)
    key = _cache_key(username, password)
    if cred is not None and cred.has_password and _recently_verified(key, _stamp(cred)):
        return AuthResult(cred, credential_decision(cred))
    throttled = throttle.is_throttled(SCOPE, username, client)
    if not _verify(cred, password):
        throttle.record_failure(SCOPE, username, client)
        return AuthResult(cred, refuse(_refusal(cred, throttled)))
    if throttled:
        log.warning("CalDAV password verified while throttled: user=%r reason=throttled_but_verified ip=%s",
                    username, client)
    cache.set(key, _stamp(cred), VERIFIED_TTL)
    near_cache.verified.set(key, (_stamp(cred), time.monotonic()), VERIFIED_TTL)
    return AuthResult(cred, credential_decision(cred))
