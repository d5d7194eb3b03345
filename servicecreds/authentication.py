"""HTTP Basic credentials → a service credential and the access decision.

Django's password hashers are deliberately slow (hundreds of ms). A phone sends
its password with every request, so a successful verification is remembered for
a short time in the cache, under a *keyed* hash (HMAC with SECRET_KEY) of
username and password; the value is tied to the credential's stored hash and
modification time, so a new password or any edit of the credential invalidates
it at once. The clear password is never stored, cached or logged.
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
_DUMMY_HASH = None


@dataclass(frozen=True)
class AuthResult:
    credential: ServiceCredential | None
    decision: Decision


def _cache_key(username: str, password: str) -> str:
    mac = hmac.new(settings.SECRET_KEY.encode(), f"{username.lower()}\0{password}".encode(), hashlib.sha256)
    return "servicecreds:verified:" + mac.hexdigest()


def _stamp(cred: ServiceCredential) -> str:
    return f"{cred.pk}:{cred.password}:{cred.modified.isoformat()}"


def _equalize_timing(password: str) -> None:
    """Run one hash for unknown users too, so response time does not reveal usernames."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = make_password("terminsync-dummy")
    check_password(password, _DUMMY_HASH)


def lookup(username: str) -> ServiceCredential | None:
    return (ServiceCredential.objects.select_related("user", "user__employee", "branch")
            .filter(username__iexact=username).first())


def authenticate(username: str, password: str) -> AuthResult:
    """Verify a username/password pair and apply the credential part of the access rule."""
    cred = lookup(username)
    if cred is None:
        _equalize_timing(password)
        return AuthResult(None, refuse("unknown_user"))
    if not cred.has_password:
        return AuthResult(cred, refuse("no_password"))
    key = _cache_key(username, password)
    if cache.get(key) != _stamp(cred):
        if not cred.check_password(password):
            return AuthResult(cred, refuse("wrong_password"))
        cache.set(key, _stamp(cred), VERIFIED_TTL)
    return AuthResult(cred, credential_decision(cred))
