"""What a credential receives of a calendar's objects (V1): each object complete, or redacted.

Every handler that hands calendar objects to a client (GET, PROPFIND, the REPORTs) passes
them through ``received``, or, for a listing read as rows, hands ``levels`` to the selector;
PUT and DELETE ask ``require_write``. The rule is
``servicecreds.access.privacy_for``; the redacted bytes and their ETags were stored by the
writer (``scheduler.redaction``), so this costs one query per calendar, not one per object.
"""

from __future__ import annotations

from collections.abc import Iterable

from scheduler import selectors
from scheduler.models import Resource
from scheduler.selectors import CalendarObject
from servicecreds import access

from .context import DavContext
from .errors import DavError
from .namespaces import DAV


def calendar_privacy(ctx: DavContext, resource: Resource) -> access.Privacy:
    """The level of the calendar's appointments that do not book the credential's employee (once per request)."""
    cache = ctx.extra.setdefault("calendar_privacy", {})
    if resource.pk not in cache:
        cache[resource.pk] = access.calendar_privacy(ctx.credential, resource)
    return cache[resource.pk]


def may_redact(ctx: DavContext, resource: Resource) -> bool:
    """May objects of this calendar arrive redacted? Then the selectors load the redacted variants too,
    and the calendar is read-only to this credential (RFC 3744 current-user-privilege-set)."""
    return calendar_privacy(ctx, resource).redacted


def levels(ctx: DavContext, resource: Resource) -> selectors.Levels:
    """The rule's levels for this calendar, for listings that pick each row's variant in SQL
    (``selectors.object_rows``): the same ``access.privacy_for``, asked once per case, not per object."""
    others = calendar_privacy(ctx, resource)
    if not others.redacted:
        return selectors.Levels()
    employee = ctx.credential.employee
    own = access.privacy_for(ctx.credential, resource, books_own_employee=True)
    return selectors.Levels(others=others.level, own=own.level, employee_id=employee.pk if employee else None)


def received(ctx: DavContext, resource: Resource, objects: Iterable[CalendarObject]) -> list[CalendarObject]:
    """The objects as this credential receives them (loaded with ``redacted=may_redact(...)``)."""
    objects = list(objects)
    if not objects or not may_redact(ctx, resource):
        return objects
    employee = ctx.credential.employee
    own = selectors.appointments_booking_employee([o.appointment_id for o in objects],
                                                  employee.pk if employee else None)
    return [o.at_level(access.privacy_for(ctx.credential, resource,
                                          books_own_employee=o.appointment_id in own).level)
            for o in objects]


def require_write(ctx: DavContext, *, missing_ok: bool = False) -> None:
    """PUT/DELETE (RFC 3744 §7.1.1): a redacted object is read-only, and a calendar that may hold
    redacted objects takes no new ones (its privilege set has no DAV:bind: an object created there
    would come back redacted, and the phone would see its own event change)."""
    t = ctx.target
    if not may_redact(ctx, t.resource):
        return
    # one query: the object at its level, the level decided in SQL (``levels``), as a listing does
    found = list(selectors.object_rows(t.resource, names=[t.name], levels=levels(ctx, t.resource)))
    obj = found[0] if found else None
    if obj is None and missing_ok:  # DELETE: the handler answers 404
        return
    if obj is None or obj.redacted:
        raise DavError(403, (DAV, "need-privileges"), str(calendar_privacy(ctx, t.resource).message))
