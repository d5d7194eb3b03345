"""DELETE of an object: the booking of this resource is removed, softly (S7), honouring If-Match."""

from __future__ import annotations

from django.http import HttpResponse

from scheduler import selectors, services

from .. import privacy
from ..context import OBJECT, DavContext
from ..errors import DavError
from ..user_agents import device_name


def handle(ctx: DavContext) -> HttpResponse:
    t = ctx.target
    if t.kind != OBJECT:
        raise DavError(403, message="Kalender werden im Terminplaner verwaltet, nicht vom Client gelöscht.")
    t.require_write()
    privacy.require_write(ctx, missing_ok=True)
    booking = selectors.get_booking(t.resource, t.name)
    if booking is None:
        raise DavError(404, message="no such object")
    device = device_name(ctx.request.META.get("HTTP_USER_AGENT", ""))
    services.remove_booking(booking, if_match=ctx.request.META.get("HTTP_IF_MATCH"),
                            actor=services.Actor.of_phone(ctx.credential, device))
    return HttpResponse(status=204)
