"""Sync health of a device (one service credential) in plain language: the list column, its filter,
the change page's last events and ``manage.py devicehealth`` all read it from here.

First comes the access rule: a credential that may not connect at all (expired, not yet valid,
unconfirmed, without password, …; ``servicecreds.access.credential_decision``, asked, never
re-derived here) is **blocked** ("Gesperrt: abgelaufen am 12.03.2026"), whatever its phone did.
Only a credential that may connect has a sync health.

What is recorded and how cheaply is explained in ``caldav_endpoint.health``. The
sync health follows one rule, in Python (``health_state``) and as a query (``state_q``), and
tests hold the two together:

- **failing** ("Fehler"): the newest thing that happened is a refusal (a wrong
  password, an expired credential, a refused write);
- **never** ("nie verbunden"): no successful request and no refusal yet;
- **stale** ("veraltet"): the last successful request is older than ``stale_days``;
- **ok**: otherwise.

Successful requests are recorded at most once a minute, so a refusal is answered
by an "OK" only after the next recorded success (within a minute of further traffic).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from caldav_endpoint.health import REFUSAL_WINDOW, DeviceHealth, client_name

from . import access
from .access import REASONS
from .models import ServiceCredential

OK, NEVER, STALE, FAILING, BLOCKED = "ok", "never", "stale", "failing", "blocked"
STATES: dict[str, Promise] = {
    OK: gettext_lazy("OK"),
    NEVER: gettext_lazy("nie verbunden"),
    STALE: gettext_lazy("veraltet"),
    FAILING: gettext_lazy("Fehler"),
    BLOCKED: gettext_lazy("Gesperrt"),
}
STALE_DAYS = 3

# Short labels for the list column; the full sentence (``access.REASONS``, the refusal's message) is
# on the change page. Codes: the access rule's (servicecreds.access) and the contract's
# (scheduler.exceptions) refusals.
SHORT_REASONS: dict[str, Promise] = {
    "wrong_password": gettext_lazy("Passwort falsch"),
    "throttled": gettext_lazy("Passwort falsch"),  # this door only throttles passwords that did not verify
    "no_password": gettext_lazy("kein Passwort gesetzt"),
    "not_confirmed": gettext_lazy("nicht bestätigt"),
    "not_yet_valid": gettext_lazy("noch nicht gültig"),
    "expired": gettext_lazy("abgelaufen"),
    "wrong_service_class": gettext_lazy("falsche Serviceklasse"),
    "user_inactive": gettext_lazy("Benutzerkonto inaktiv"),
    "no_employee": gettext_lazy("kein Mitarbeiter zugeordnet"),
    "invalid_calendar_data": gettext_lazy("ungültige Kalenderdaten"),
    "unsupported_component": gettext_lazy("Aufgaben nicht unterstützt"),
    "invalid_object": gettext_lazy("ungültiger Termin"),
    "too_large": gettext_lazy("Termin zu groß"),
    "recurrence_refused": gettext_lazy("Wiederholung nicht erlaubt"),
    "invalid_times": gettext_lazy("Ende vor Beginn"),
    "invalid_resources": gettext_lazy("ungültige Ressourcen"),
    "resource_other_branch": gettext_lazy("Ressource einer anderen Filiale"),
    "uid_changed": gettext_lazy("UID geändert"),
    "uid_conflict": gettext_lazy("UID doppelt"),
    "precondition_failed": gettext_lazy("Termin inzwischen geändert"),
    "already_exists": gettext_lazy("Termin existiert bereits"),
    "does_not_exist": gettext_lazy("Termin existiert nicht mehr"),
    "conflict": gettext_lazy("Doppelbuchung"),
}


@dataclass(frozen=True)
class DeviceStatus:
    state: str
    text: str
    at: dt.datetime | None = None  # the time the text is about (last success, or last refusal)
    reason: str = ""  # blocked: the access rule's whole sentence (``Decision.message``)


def health_of(cred: ServiceCredential) -> DeviceHealth | None:
    """The credential's health row; None if nothing beyond ``last_used_at`` was recorded yet."""
    try:
        return cred.device_health
    except DeviceHealth.DoesNotExist:
        return None


def short_reason(code: str) -> str:
    return str(SHORT_REASONS.get(code, code))


def client_label(user_agent: str) -> str:
    return client_name(user_agent) or _("unbekannter Client")


def refusals_in_window(health: DeviceHealth | None, now: dt.datetime) -> int:
    if health is None or health.refusals_since is None or health.refusals_since <= now - REFUSAL_WINDOW:
        return 0
    return health.refusals_count


def share_users(creds: Iterable[ServiceCredential]) -> list[ServiceCredential]:
    """Give credentials of one user one user object, so that the access rule's permission lookup
    (``Decision.can_write``, cached on the user object) runs once per user, not once per row."""
    users: dict[int, object] = {}
    creds = list(creds)
    for cred in creds:
        cred.user = users.setdefault(cred.user_id, cred.user)
    return creds


def blocked_ids(queryset: QuerySet[ServiceCredential]) -> set[int]:
    """The credentials among ``queryset`` that the access rule refuses outright (the "Gesperrt" filter).

    The rule is Python (``access.credential_decision``) and stays in one place: it is asked for each
    credential, never rebuilt here as a query.
    """
    creds = share_users(queryset.select_related("user", "user__employee"))
    return {c.pk for c in creds if not access.credential_decision(c)}


def filter_state(queryset: QuerySet[ServiceCredential], name: str) -> QuerySet[ServiceCredential]:
    """The list filter: the credentials whose column shows ``name`` (``state``, as a queryset)."""
    blocked = blocked_ids(queryset)
    if name == BLOCKED:
        return queryset.filter(pk__in=blocked)
    return queryset.filter(state_q(name)).exclude(pk__in=blocked)


def state(cred: ServiceCredential, now: dt.datetime | None = None, stale_days: int = STALE_DAYS) -> str:
    """The column's state: ``blocked`` if the access rule refuses the credential, else its sync health."""
    return health_state(cred, now, stale_days) if access.credential_decision(cred) else BLOCKED


def health_state(cred: ServiceCredential, now: dt.datetime | None = None, stale_days: int = STALE_DAYS) -> str:
    """The sync health alone (what the phone did), for a credential that may connect."""
    now = now or timezone.now()
    health = health_of(cred)
    refused_at = health.last_refusal_at if health else None
    if refused_at is not None and (cred.last_used_at is None or refused_at > cred.last_used_at):
        return FAILING
    if cred.last_used_at is None:
        return NEVER
    if cred.last_used_at < now - dt.timedelta(days=stale_days):
        return STALE
    return OK


def state_q(name: str, now: dt.datetime | None = None, stale_days: int = STALE_DAYS) -> Q:
    """``health_state`` as a filter on ServiceCredential (same rule; a missing health row has no refusal).

    Only the sync health: whether the access rule blocks a credential is ``blocked_ids``.
    """
    now = now or timezone.now()
    refused_at = "device_health__last_refusal_at"
    no_later_refusal = Q(**{f"{refused_at}__isnull": True}) | Q(**{f"{refused_at}__lte": F("last_used_at")})
    cutoff = now - dt.timedelta(days=stale_days)
    return {
        FAILING: Q(**{f"{refused_at}__isnull": False}) & (Q(last_used_at__isnull=True)
                                                         | Q(**{f"{refused_at}__gt": F("last_used_at")})),
        NEVER: Q(last_used_at__isnull=True) & Q(**{f"{refused_at}__isnull": True}),
        STALE: Q(last_used_at__lt=cutoff) & no_later_refusal,
        OK: Q(last_used_at__gte=cutoff) & no_later_refusal,
    }[name]


def ago(when: dt.datetime, now: dt.datetime) -> str:
    """"vor 5 Min.", "vor 3 Std.", "vor 2 Tagen"."""
    seconds = max(0, int((now - when).total_seconds()))
    if seconds < 60:
        return _("gerade eben")
    if seconds < 3600:
        return _("vor %(n)d Min.") % {"n": seconds // 60}
    if seconds < 86400:
        return _("vor %(n)d Std.") % {"n": seconds // 3600}
    days = seconds // 86400
    return ngettext("vor %(n)d Tag", "vor %(n)d Tagen", days) % {"n": days}


def local(when: dt.datetime) -> str:
    """A timestamp in the site's time zone (Europe/Berlin), "26.11.2026 14:05"."""
    return date_format(timezone.localtime(when), "d.m.Y H:i")


def blocked_status(cred: ServiceCredential, decision: access.Decision) -> DeviceStatus:
    """"Gesperrt: abgelaufen am 12.03.2026": the refusal in short, its whole sentence as ``reason``."""
    if decision.code == "expired" and cred.valid_until:
        short = _("abgelaufen am %(date)s") % {"date": date_format(cred.valid_until, "SHORT_DATE_FORMAT")}
    elif decision.code == "not_yet_valid" and cred.valid_from:
        short = _("gültig erst ab %(date)s") % {"date": date_format(cred.valid_from, "SHORT_DATE_FORMAT")}
    else:
        short = short_reason(decision.code)
    return DeviceStatus(BLOCKED, _("Gesperrt: %(reason)s") % {"reason": short}, reason=decision.message)


def status(cred: ServiceCredential, now: dt.datetime | None = None, stale_days: int = STALE_DAYS) -> DeviceStatus:
    """The one sentence of the list column: "Gesperrt: abgelaufen am 12.03.2026" when the access rule
    refuses the credential, otherwise its sync health: "OK, zuletzt vor 5 Min. (DAVx5 4.4.1, Android 14)"."""
    decision = access.credential_decision(cred)
    if not decision:
        return blocked_status(cred, decision)
    return health_status(cred, now, stale_days)


def health_status(cred: ServiceCredential, now: dt.datetime | None = None,
                  stale_days: int = STALE_DAYS) -> DeviceStatus:
    """The sync health in one sentence (``health_state`` in words)."""
    now = now or timezone.now()
    current = health_state(cred, now, stale_days)
    health = health_of(cred)
    if current == FAILING:
        count = refusals_in_window(health, now)
        reason = short_reason(health.last_refusal_code)
        if count:
            text = _("Fehler: %(reason)s (%(n)d× in 24 Std.)") % {"reason": reason, "n": count}
        else:
            text = _("Fehler: %(reason)s (%(ago)s)") % {"reason": reason, "ago": ago(health.last_refusal_at, now)}
        return DeviceStatus(current, text, health.last_refusal_at)
    if current == NEVER:
        return DeviceStatus(current, _("Noch nie verbunden"))
    if current == STALE:
        days = (now - cred.last_used_at).days
        return DeviceStatus(current, ngettext("Seit %(n)d Tag keine Synchronisation",
                                              "Seit %(n)d Tagen keine Synchronisation", days) % {"n": days},
                            cred.last_used_at)
    return DeviceStatus(current, _("OK, zuletzt %(ago)s (%(client)s)") % {
        "ago": ago(cred.last_used_at, now), "client": client_label(cred.last_user_agent)}, cred.last_used_at)


def events(cred: ServiceCredential) -> list[tuple[dt.datetime, str]]:
    """The last events of the device, newest first, for the change page."""
    health = health_of(cred)
    out = []
    if cred.last_used_at:
        out.append((cred.last_used_at, _("Letzte erfolgreiche Anfrage, von %(client)s (%(ua)s)") % {
            "client": client_label(cred.last_user_agent), "ua": cred.last_user_agent or "—"}))
    if health and health.last_sync_at:
        out.append((health.last_sync_at, _("Letzte Abfrage auf Änderungen (Synchronisation)")))
    if health and health.last_refusal_at:
        reason = (REASONS.get(health.last_refusal_code) or health.last_refusal_detail
                  or SHORT_REASONS.get(health.last_refusal_code, ""))
        out.append((health.last_refusal_at, _("Letzte Ablehnung: %(reason)s [%(code)s], von %(client)s") % {
            "reason": reason, "code": health.last_refusal_code,
            "client": client_label(health.last_refusal_agent)}))
    if health and health.refusals_since and health.refusals_count:
        out.append((health.refusals_since, ngettext(
            "Erste Ablehnung der Zählung: seitdem %(n)d Ablehnung",
            "Erste Ablehnung der Zählung: seitdem %(n)d Ablehnungen", health.refusals_count)
            % {"n": health.refusals_count}))
    return sorted(out, key=lambda e: e[0], reverse=True)
