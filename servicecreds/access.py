"""The access rule: what a service credential may do with the CalDAV service, and why not.

This module is the only place that decides it (D3, seed 2.b/2.c/3.e/3.i). The
CalDAV endpoint, the resource selector of "Ressource spezifische URL", the Test
button and "My account" all ask these functions; nothing else re-derives them.
Every refusal carries a code (for logs and tests) and a sentence a branch admin
understands.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from scheduler.models import Resource

from .models import ServiceCredential

REASONS: dict[str, Promise] = {
    "ok": _("Der Zugang ist in Ordnung."),
    "unknown_user": _("Benutzername oder Passwort ist falsch."),
    "wrong_password": _("Benutzername oder Passwort ist falsch."),
    "throttled": _("Zu viele fehlgeschlagene Anmeldungen; bitte einige Minuten warten."),
    "no_password": _("Für diese Servicezugangsdaten ist noch kein Passwort vergeben. "
                     "Bitte „Neues Passwort vergeben“ nutzen."),
    "not_confirmed": _("Die Servicezugangsdaten sind nicht bestätigt. Bitte „Bestätigt“ setzen."),
    "not_yet_valid": _("Die Servicezugangsdaten sind noch nicht gültig (siehe „gültig ab“)."),
    "expired": _("Die Servicezugangsdaten sind abgelaufen (siehe „gültig bis“)."),
    "wrong_service_class": _("Die Serviceklasse ist nicht „CalDAV Terminsynchronisation“."),
    "user_inactive": _("Das Benutzerkonto ist nicht aktiv."),
    "no_employee": _("Dem Benutzerkonto ist kein Mitarbeiter zugeordnet."),
    "resource_inactive": _("Die Ressource ist nicht aktiv."),
    "sync_not_allowed": _("Die Ressource ist nicht für die Terminsynchronisation freigegeben. Bitte in "
                          "der Administration des Terminplaners „Terminsynchronisation erlaubt“ setzen."),
    "person_without_employee": _("Der Personenressource ist kein Mitarbeiter zugeordnet; es werden "
                                 "nur eigene Termine übertragen."),
    "other_employee": _("Die Personenressource gehört einem anderen Mitarbeiter; es werden nur "
                        "eigene Termine übertragen."),
    "other_branch": _("Die Ortsressource gehört zu einer anderen Filiale als die Servicezugangsdaten."),
}

WRITE_PERMISSIONS = (
    "scheduler.add_appointment", "scheduler.change_appointment", "scheduler.delete_appointment",
)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    code: str = "ok"
    can_write: bool = False

    def __bool__(self) -> bool:
        return self.allowed

    @property
    def message(self) -> str:
        return str(REASONS[self.code])


def refuse(code: str) -> Decision:
    return Decision(False, code)


def credential_decision(cred: ServiceCredential, today: dt.date | None = None) -> Decision:
    """May this credential use the CalDAV service at all (password already verified)?"""
    today = today or timezone.localdate()
    if not cred.has_password:
        return refuse("no_password")
    if not cred.confirmed:
        return refuse("not_confirmed")
    if cred.valid_from and today < cred.valid_from:
        return refuse("not_yet_valid")
    if cred.valid_until and today > cred.valid_until:
        return refuse("expired")
    if cred.service_class != ServiceCredential.ServiceClass.CALDAV:
        return refuse("wrong_service_class")
    if not cred.user.is_active:
        return refuse("user_inactive")
    if cred.employee is None:
        return refuse("no_employee")
    return Decision(True, can_write=cred.user.has_perms(WRITE_PERMISSIONS))


def resource_decision(cred: ServiceCredential, resource: Resource, today: dt.date | None = None) -> Decision:
    """May this credential sync this resource, and write to it (S2, S4, S5, seed 3.f)?"""
    decision = credential_decision(cred, today)
    if not decision:
        return decision
    if not resource.active:
        return refuse("resource_inactive")
    if not resource.sync_allowed:
        return refuse("sync_not_allowed")
    if resource.kind == Resource.Kind.PERSON:
        if resource.employee_id is None:
            return refuse("person_without_employee")
        if resource.employee_id != cred.employee.pk:
            return refuse("other_employee")
    elif resource.branch_id != cred.branch_id:
        return refuse("other_branch")
    return decision


def candidate_resources(cred: ServiceCredential):
    """Resources worth asking ``resource_decision`` about: own person resources, branch rooms."""
    employee = cred.employee
    q = Q(kind=Resource.Kind.LOCATION, branch_id=cred.branch_id)
    if employee is not None:
        q |= Q(kind=Resource.Kind.PERSON, employee=employee)
    return Resource.objects.filter(q).select_related("branch", "employee")


def visible_resources(cred: ServiceCredential, today: dt.date | None = None) -> list[Resource]:
    """The calendars a credential sees over CalDAV; everything else does not exist for it."""
    if not credential_decision(cred, today):
        return []
    return [r for r in candidate_resources(cred) if resource_decision(cred, r, today)]
