"""The resource selector of "Ressource spezifische URL" and "Mein Konto": choices with URL and reason."""

from __future__ import annotations

from dataclasses import dataclass

import segno
from django.db.models import Q, QuerySet

from scheduler.models import Resource

from . import access, urls_for
from .models import ServiceCredential


@dataclass
class Choice:
    resource: Resource
    decision: access.Decision
    url: str

    @property
    def allowed(self) -> bool:
        return self.decision.allowed


def qr_svg(text: str) -> str:
    """An inline SVG QR code, so a phone's camera can take a set-up link instead of typing it (U5)."""
    return segno.make(text, error="m").svg_inline(scale=4, dark="#000", light="#fff")


def choices(credential: ServiceCredential, *, include_refused: bool = True,
            among: QuerySet[Resource] | None = None) -> list[Choice]:
    """Resources the credential may sync first; then, greyed, the related ones it may not, with the reason.

    ``among`` limits the candidates to what the asker may see (the admin's branch scope).
    """
    employee = credential.employee
    related = Q(branch_id=credential.branch_id) | (Q(employee=employee) if employee else Q(pk__in=[]))
    candidates = Resource.objects.all() if among is None else among
    resources = candidates.filter(related).select_related("branch", "employee").order_by("kind", "name")
    out = []
    for res in resources:
        decision = access.resource_decision(credential, res)
        if decision or include_refused:
            url = urls_for.caldav_url(credential, res)
            out.append(Choice(res, decision, url))
    out.sort(key=lambda c: (not c.allowed, c.resource.kind != Resource.Kind.PERSON, c.resource.name))
    return out


def own_choices(credential: ServiceCredential) -> list[Choice]:
    """For the employee ("Mein Konto"): only what they may know.

    The calendars the credential syncs, and the employee's own resources with the reason they do
    not sync; never a colleague's resource (its state, its Google calendar ID) or a room the phone
    does not get.
    """
    employee = credential.employee
    mine = Q(pk__in=[r.pk for r in access.visible_resources(credential)])
    if employee is not None:
        mine |= Q(employee=employee)
    return choices(credential, among=Resource.objects.filter(mine))
