"""The access rule: what a service credential may do with the CalDAV service, and why not.

This module is the only place that decides it (D3, seed 2.b/2.c/3.e/3.i). The
CalDAV endpoint, the resource selector of "Ressource spezifische URL", the Test
button and "My account" all ask these functions; nothing else re-derives them.
Every refusal carries a code (for logs and tests) and a sentence a branch admin
understands.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from branches.models import Privacy as Level
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

PRIVACY_REASONS: dict[str, Promise] = {
    "own_calendar": _("Der eigene Kalender des Mitarbeiters: Termine kommen vollständig an."),
    "own_appointment": _("Der Mitarbeiter ist in diesem Termin gebucht: er kommt vollständig an."),
    "level_full": _("Diese Ressource überträgt auch fremde Termine vollständig."),
    "level_no_customer": _("Termine, in denen der Mitarbeiter nicht gebucht ist, kommen ohne Kundendaten an "
                           "(Terminart, Zeit und Raum)."),
    "level_busy": _("Termine, in denen der Mitarbeiter nicht gebucht ist, kommen nur als „Belegt“ an."),
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
    refusal = resource_rule(cred, resource)
    return decision if refusal is None else refusal


def resource_rule(cred: ServiceCredential, resource: Resource) -> Decision | None:
    """The resource part of the rule alone (the credential assumed usable): a refusal, or None."""
    if not resource.active:
        return refuse("resource_inactive")
    if not resource.sync_allowed:
        return refuse("sync_not_allowed")
    if resource.kind == Resource.Kind.PERSON:
        employee = cred.employee
        if resource.employee_id is None:
            return refuse("person_without_employee")
        if employee is None or resource.employee_id != employee.pk:
            return refuse("other_employee")
    elif resource.branch_id != cred.branch_id:
        return refuse("other_branch")
    return None


def candidate_resources(cred: ServiceCredential):
    """Resources worth asking ``resource_decision`` about: own person resources, branch rooms."""
    employee = cred.employee
    q = Q(kind=Resource.Kind.LOCATION, branch_id=cred.branch_id)
    if employee is not None:
        q |= Q(kind=Resource.Kind.PERSON, employee=employee)
    return Resource.objects.filter(q).select_related("branch", "employee")


def calendar_sort_key(resource: Resource) -> tuple:
    """Own person calendar(s) first, then rooms by name.

    Some clients make the first calendar they discover the default for new
    events (a room became the phone's default calendar once); the employee's own
    calendar must be that one.
    """
    return (resource.kind != Resource.Kind.PERSON, _collation_key(resource.name), resource.pk)


def _collation_key(name: str) -> str:
    """Names as a German reader sorts them (DIN 5007-1: "Hörkabine" beside "Horn", not after "Z")."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def visible_resources(cred: ServiceCredential, today: dt.date | None = None,
                      candidates: Iterable[Resource] | None = None, decision: Decision | None = None) -> list[Resource]:
    """The calendars a credential sees over CalDAV, in ``calendar_sort_key`` order; nothing else exists for it.

    ``candidates``: ``candidate_resources(cred)`` already loaded (``decision_cache``); the rule
    is applied to them here all the same. ``decision``: ``credential_decision(cred)`` as this
    request already made it (the endpoint's authentication), not made again.
    """
    if not (decision if decision is not None else credential_decision(cred, today)):
        return []
    pool = candidate_resources(cred) if candidates is None else candidates
    return sorted((r for r in pool if resource_rule(cred, r) is None), key=calendar_sort_key)


def default_calendar(calendars: list[Resource]) -> Resource | None:
    """The default for new events among a credential's ``visible_resources``: its own person calendar."""
    first = next(iter(calendars), None)
    return first if first is not None and first.kind == Resource.Kind.PERSON else None


def branch_mismatch_rooms(cred: ServiceCredential) -> list[Resource] | None:
    """When the credential's branch is not its employee's home branch: the rooms the phone will see.

    None when the branches agree (or there is no employee). Rooms follow the credential's branch
    (C7, S5), so a credential set to another branch shows that branch's rooms, not the home branch's.
    """
    employee = cred.employee
    if employee is None or cred.branch_id is None or employee.branch_id == cred.branch_id:
        return None
    rooms = Resource.objects.filter(kind=Resource.Kind.LOCATION, branch_id=cred.branch_id).order_by("name")
    return [r for r in rooms if resource_rule(cred, r) is None]


def branch_mismatch_warning(cred: ServiceCredential) -> str | None:
    """The admin's warning when the credential's branch is not the employee's home branch (C7)."""
    rooms = branch_mismatch_rooms(cred)
    if rooms is None:
        return None
    names = ", ".join(r.name for r in rooms) or _("keine")
    return str(_("Die Filiale „%(branch)s“ ist nicht die Stammfiliale „%(home)s“ des Mitarbeiters. Das Telefon "
                 "sieht dann die Räume der Filiale „%(branch)s“: %(rooms)s. Auf dem Telefon angelegte Termine "
                 "gehören zur Filiale „%(branch)s“.")) % {
                     "branch": cred.branch.name, "home": cred.employee.branch.name, "rooms": names}


# --- Privacy on phones (V1) ---------------------------------------------------------------------


@dataclass(frozen=True)
class Privacy:
    """What a credential receives of one appointment in one calendar, and why (V1)."""

    level: str  # branches.models.Privacy
    code: str

    @property
    def redacted(self) -> bool:
        return self.level != Level.FULL

    @property
    def message(self) -> str:
        return str(PRIVACY_REASONS[self.code])


def resource_privacy_level(resource: Resource) -> str:
    """The level a resource applies to colleagues' appointments: its own, else its branch's."""
    return resource.privacy or resource.branch.privacy


def is_own_calendar(cred: ServiceCredential, resource: Resource) -> bool:
    """A person resource of the credential's own employee: everything in it books that employee."""
    employee = cred.employee
    return (resource.kind == Resource.Kind.PERSON and employee is not None
            and resource.employee_id == employee.pk)


def privacy_for(cred: ServiceCredential, resource: Resource, *, books_own_employee: bool) -> Privacy:
    """What ``cred`` receives of an appointment in ``resource``'s calendar (V1, S4, S5).

    An appointment that books the credential's own employee (a booking on a person resource
    of that employee) always arrives complete; any other arrives at the resource's level.
    ``books_own_employee`` is an input, not a query, so a caller answers this for a whole
    calendar with one query (``scheduler.selectors.appointments_booking_employee``).
    """
    if is_own_calendar(cred, resource):
        return Privacy(Level.FULL, "own_calendar")
    if books_own_employee:
        return Privacy(Level.FULL, "own_appointment")
    level = resource_privacy_level(resource)
    return Privacy(level, f"level_{level}")


def calendar_privacy(cred: ServiceCredential, resource: Resource) -> Privacy:
    """The level of a calendar's appointments that do not book the credential's employee: if it is
    not "full", objects in this calendar may be redacted, and the calendar is read-only to ``cred``."""
    return privacy_for(cred, resource, books_own_employee=False)
