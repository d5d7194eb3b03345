"""PUT of a calendar object (RFC 4791 §5.3.2): validate, honour If-Match/If-None-Match, store as sent.

A new object becomes an appointment of this resource in the credential's branch
(C7, D4); an update changes only what the event carries, so the other resources
the appointment books stay booked. The client's bytes are stored unchanged and
their ETag returned (RFC 4791 §5.3.4). What an object may be, and the
preconditions, are the contract's (``scheduler.services.store_object``), checked
under the writer's lock; refusals are translated in ``views.serve``.
"""

from __future__ import annotations

from django.http import HttpResponse

from scheduler import services

from .. import privacy
from ..body import BodyTooLarge, read_body
from ..context import OBJECT, DavContext
from ..davxml import CALDAV
from ..errors import DavError
from ..props import MAX_RESOURCE_SIZE
from ..user_agents import device_name


def _too_big() -> DavError:
    return DavError(403, (CALDAV, "max-resource-size"), f"Objects are limited to {MAX_RESOURCE_SIZE} bytes")


def read_object(ctx: DavContext) -> str:
    """The body as text: any framing (``body.read_body``), a calendar media type, UTF-8 (RFC 4791 §5.3.2)."""
    try:
        raw = read_body(ctx.request, MAX_RESOURCE_SIZE)
    except BodyTooLarge:
        raise _too_big() from None
    ctype = ctx.request.META.get("CONTENT_TYPE", "text/calendar").split(";")[0].strip().lower()
    if ctype and ctype not in ("text/calendar", "application/octet-stream", "text/plain"):
        raise DavError(403, (CALDAV, "supported-calendar-data"), f"unsupported content type {ctype}")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise DavError(403, (CALDAV, "supported-calendar-data"), "iCalendar must be UTF-8") from None


def conflict_policy(ctx: DavContext) -> str:
    """P2: the credential's branch decides whether a phone may double-book (refusing can stop a sync)."""
    refuse = ctx.credential.branch.conflict_policy == ctx.credential.branch.ConflictPolicy.REFUSE
    return services.REFUSE if refuse else services.FLAG


def handle(ctx: DavContext) -> HttpResponse:
    t = ctx.target
    if t.kind != OBJECT:
        raise DavError(405, message="PUT is only allowed on calendar objects")
    t.require_write()
    privacy.require_write(ctx)
    appt, created = services.store_object(
        t.resource, t.name, read_object(ctx), branch=ctx.credential.branch,
        if_match=ctx.request.META.get("HTTP_IF_MATCH"), if_none_match=ctx.request.META.get("HTTP_IF_NONE_MATCH"),
        on_conflict=conflict_policy(ctx),
        actor=services.Actor.of_phone(ctx.credential, device_name(ctx.request.META.get("HTTP_USER_AGENT", ""))))
    resp = HttpResponse(status=201 if created else 204)
    resp["ETag"] = f'"{appt.etag}"'
    return resp
