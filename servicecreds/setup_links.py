"""One-time set-up links (U5): created for a credential and resource, stored hashed, started once.

Life of a link:

1. ``create()`` makes a random token and stores only its SHA-256; the token is returned once,
   for the QR code, the e-mail or the SMS, and never again.
2. Opening the link shows a start page. Fetching it changes nothing, so link previews (messengers)
   and mail scanners that open addresses do not use the link up.
3. "Einrichtung starten" (a POST) uses the link: ``used_at`` is set and the link is bound to that
   browser's session. From then on only that browser may continue (profile, password, test), for at
   most ``SESSION_MINUTES`` and never beyond ``expires_at``. Everyone else sees "bereits verwendet".
   A link is made only for a calendar the access rule lets the credential sync (``create`` raises
   ``SetupRefused`` otherwise): a link for an expired or unconfirmed credential would set up a phone
   that is then refused.
4. A link expires after ``settings.SETUP_LINK_HOURS`` (72 h), can be revoked in the admin, and all
   open links of a credential are revoked when its password is set anew (``revoke_for``).
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from . import access, urls_for
from .models import ServiceCredential, SetupLink

SESSION_KEY = "servicecreds_setup_links"
SESSION_MINUTES = 60  # how long the browser that started a link may finish the set-up
UNUSABLE_PASSWORD = UNUSABLE_PASSWORD_PREFIX  # stands in for the first password in ``refusal``; never stored


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class NewLink:
    link: SetupLink
    token: str

    @property
    def url(self) -> str:
        return absolute_url(self.token)


def absolute_url(token: str) -> str:
    return urls_for.absolute(reverse("setup-start", args=[token]))


class SetupRefused(Exception):
    """No set-up link: the access rule refuses this credential (or this calendar to it)."""

    def __init__(self, decision: access.Decision):
        super().__init__(decision.code)
        self.decision = decision

    @property
    def message(self) -> str:
        return _("Kein Einrichtungslink erzeugt: %(reason)s") % {"reason": self.decision.message}


def refusal(credential: ServiceCredential, resource) -> access.Decision | None:
    """Why no set-up link may be made for ``credential`` and ``resource``; None if it may.

    The set-up page lets the employee set a missing first password (``setup_views.set_password``), so
    the access rule is asked about the credential as it will be once that password is set: every
    other refusal (expired, not yet valid, not confirmed, user inactive, calendar not syncable) stops
    the link, also one that a missing password would otherwise hide (the rule names only its first).
    """
    as_set_up = copy.copy(credential)
    as_set_up.password = credential.password or UNUSABLE_PASSWORD
    decision = access.resource_decision(as_set_up, resource)
    return None if decision else decision


def create(credential: ServiceCredential, resource, *, by=None, hours: int | None = None) -> NewLink:
    """A new link, or ``SetupRefused`` (nothing stored) if the credential may not sync ``resource``."""
    refused = refusal(credential, resource)
    if refused is not None:
        raise SetupRefused(refused)
    token = secrets.token_urlsafe(24)
    now = timezone.now()
    link = SetupLink.objects.create(
        credential=credential, resource=resource, token_hash=hash_token(token), created_by=by, created_at=now,
        expires_at=now + dt.timedelta(hours=hours or settings.SETUP_LINK_HOURS))
    return NewLink(link, token)


def find(token: str) -> SetupLink | None:
    if not token or len(token) > 100:
        return None
    return (SetupLink.objects.select_related("credential", "credential__user", "credential__branch", "resource",
                                             "resource__branch").filter(token_hash=hash_token(token)).first())


def state(link: SetupLink | None, session=None) -> str:
    """``ok`` (may be started), ``mine`` (started by this browser), or why not."""
    now = timezone.now()
    if link is None:
        return "unknown"
    if link.revoked_at:
        return "revoked"
    if link.expires_at <= now:
        return "expired"
    if link.used_at is None:
        return "ok"
    if session is not None and link.pk in session.get(SESSION_KEY, []) and \
            now < link.used_at + dt.timedelta(minutes=SESSION_MINUTES):
        return "mine"
    return "used"


def start(link: SetupLink, session) -> bool:
    """Use the link for this browser; False if someone else was first (one UPDATE decides)."""
    with transaction.atomic():
        won = SetupLink.objects.open().filter(pk=link.pk).update(used_at=timezone.now())
    if not won:
        return False
    link.refresh_from_db(fields=["used_at"])
    session[SESSION_KEY] = [*session.get(SESSION_KEY, [])[-9:], link.pk]
    return True


def revoke(queryset) -> int:
    return queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


def revoke_for(credential: ServiceCredential, *, keep: SetupLink | None = None) -> int:
    """A new password ends the credential's other links: one that leaked cannot set another."""
    qs = SetupLink.objects.filter(credential=credential, revoked_at__isnull=True, expires_at__gt=timezone.now())
    if keep is not None:
        qs = qs.exclude(pk=keep.pk)
    return revoke(qs)
