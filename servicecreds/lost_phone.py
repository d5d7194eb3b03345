""""Telefon verloren": lock a lost or stolen phone out of its credential at once.

The credential is unconfirmed (nothing syncs until an admin confirms it again),
its password is replaced by a random one that nobody ever sees (so the phone's
saved password stops working even if somebody confirms the credential again
too early), and its open set-up links are revoked. The credential list then shows
it as "Gesperrt: nicht bestätigt" (the access rule comes first, ``device_status``);
once confirmed again, the lost phone's further attempts show as "Fehler: Passwort falsch".
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from .models import ServiceCredential

log = logging.getLogger("terminsync.auth")


@dataclass(frozen=True)
class LockedOut:
    credential: ServiceCredential
    links_revoked: int


def _revoke_setup_links(cred: ServiceCredential) -> int:
    """Revoke the credential's open set-up links, if set-up links exist in this installation."""
    try:
        link_model = apps.get_model("servicecreds", "SetupLink")
    except LookupError:
        return 0
    now = timezone.now()
    return link_model.objects.filter(credential=cred, revoked_at__isnull=True, expires_at__gt=now).update(
        revoked_at=now)


def lock_out(cred: ServiceCredential, *, by) -> LockedOut:
    with transaction.atomic():
        cred = ServiceCredential.objects.select_for_update().get(pk=cred.pk)
        cred.confirmed = False
        cred.set_password(secrets.token_urlsafe(32), by=by)  # random, never shown, never stored in clear
        cred.save()
        revoked = _revoke_setup_links(cred)
    log.warning("Phone reported lost: user=%r by=%r unconfirmed, password replaced, setup_links_revoked=%d",
                cred.username, by.get_username() if by else None, revoked)
    return LockedOut(cred, revoked)
