"""The resource selector of "Ressource spezifische URL" and "Mein Konto": choices with URL, QR and reason."""

from __future__ import annotations

from dataclasses import dataclass

import segno
from django.db.models import Q

from scheduler.models import Resource

from . import access, urls_for
from .models import ServiceCredential


@dataclass
class Choice:
    resource: Resource
    decision: access.Decision
    url: str
    qr_svg: str

    @property
    def allowed(self) -> bool:
        return self.decision.allowed


def qr_svg(text: str) -> str:
    """An inline SVG QR code, so a phone's camera can take the URL instead of typing it."""
    return segno.make(text, error="m").svg_inline(scale=4, dark="#000", light="#fff")


def choices(credential: ServiceCredential, *, include_refused: bool = True) -> list[Choice]:
    """Resources the credential may sync first; then, greyed, the related ones it may not, with the reason."""
    employee = credential.employee
    related = Q(branch_id=credential.branch_id) | (Q(employee=employee) if employee else Q(pk__in=[]))
    resources = Resource.objects.filter(related).select_related("branch", "employee").order_by("kind", "name")
    out = []
    for res in resources:
        decision = access.resource_decision(credential, res)
        if decision or include_refused:
            url = urls_for.caldav_url(credential, res)
            out.append(Choice(res, decision, url, qr_svg(url)))
    out.sort(key=lambda c: (not c.allowed, c.resource.kind != Resource.Kind.PERSON, c.resource.name))
    return out
