"""HTTP Basic for the CalDAV endpoint (D1): decode the header, ask servicecreds, log refusals.

Every refusal looks the same to the client (401 + realm), so nobody can probe
which usernames exist or which check failed; the reason goes to the log
(never the password) and to the Test button.
"""

from __future__ import annotations

import base64
import binascii
import logging
import unicodedata

from django.http import HttpRequest
from django.utils import timezone

from servicecreds.authentication import AuthResult, authenticate
from servicecreds.client_address import client_address
from servicecreds.models import ServiceCredential

from . import health
from .errors import DavError

log = logging.getLogger("terminsync.caldav")
REALM = 'Basic realm="Terminsync CalDAV", charset="UTF-8"'
LAST_USED_RESOLUTION = 60  # seconds: record use at most once a minute, not on every request


def unauthorized() -> DavError:
    return DavError(401, message="Authentication required", headers={"WWW-Authenticate": REALM})


def basic_credentials(request: HttpRequest) -> tuple[str, str] | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    username, sep, password = text.partition(":")
    if not sep or any(unicodedata.category(c) == "Cc" for c in username):
        return None  # a NUL or control character is no username (and PostgreSQL refuses NUL in a query)
    return username, password


def authenticate_request(request: HttpRequest, calendar: str | None = None, name: str | None = None) -> AuthResult:
    """``calendar``, ``name``: the slug and object name the path names, if any (``context.read_ahead_hint``),
    read with the login."""
    pair = basic_credentials(request)
    if pair is None:
        raise unauthorized()
    client = client_address(request)
    result = authenticate(*pair, client=client, calendar=calendar, name=name)
    if not result.decision:
        log.info("CalDAV login refused: user=%r reason=%s ip=%s", pair[0], result.decision.code, client)
        health.note_refusal(result.credential, result.decision.code, request.META.get("HTTP_USER_AGENT", ""))
        raise unauthorized()
    record_use(result.credential, request)
    return result


def record_use(cred: ServiceCredential, request: HttpRequest) -> None:
    """The last successful request and its User-Agent, at most once a minute (see ``health``)."""
    now = timezone.now()
    if cred.last_used_at and (now - cred.last_used_at).total_seconds() < LAST_USED_RESOLUTION:
        return
    agent = request.META.get("HTTP_USER_AGENT", "")[:300]
    # update() leaves ``modified`` alone, so the verified-password cache stays valid
    ServiceCredential.objects.filter(pk=cred.pk).update(last_used_at=now, last_user_agent=agent)
    cred.last_used_at, cred.last_user_agent = now, agent
