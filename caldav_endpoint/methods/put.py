"""PUT of a calendar object (RFC 4791 §5.3.2): validate, honour If-Match/If-None-Match, store as sent.

A new object becomes an appointment of this resource in the credential's branch
(C7, D4); an update changes only what the event carries, so the other resources
the appointment books stay booked. The client's bytes are stored unchanged and
their ETag returned (RFC 4791 §5.3.4). Every check runs before anything is
written, and the write itself is one transaction.
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig, ValidationError
from django.db import IntegrityError
from django.http import HttpResponse

from scheduler import ical, services
from scheduler.models import Appointment

from .. import store
from ..context import OBJECT, DavContext
from ..davxml import CALDAV
from ..errors import DavError
from ..props import MAX_RESOURCE_SIZE

ALLOWED_COMPONENTS = {"VEVENT", "VTIMEZONE"}


def _too_big() -> DavError:
    return DavError(403, (CALDAV, "max-resource-size"), f"Objects are limited to {MAX_RESOURCE_SIZE} bytes")


def read_body(ctx: DavContext) -> str:
    declared = ctx.request.META.get("CONTENT_LENGTH") or "0"
    if declared.isdigit() and int(declared) > MAX_RESOURCE_SIZE:
        raise _too_big()
    try:
        body = ctx.request.body
    except RequestDataTooBig:
        raise _too_big() from None
    if len(body) > MAX_RESOURCE_SIZE:
        raise _too_big()
    ctype = ctx.request.META.get("CONTENT_TYPE", "text/calendar").split(";")[0].strip().lower()
    if ctype and ctype not in ("text/calendar", "application/octet-stream", "text/plain"):
        raise DavError(403, (CALDAV, "supported-calendar-data"), f"unsupported content type {ctype}")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise DavError(403, (CALDAV, "supported-calendar-data"), "iCalendar must be UTF-8") from None


def check_object(text: str) -> str:
    """RFC 4791 §4.1: one VEVENT series per object, one UID on all its components. Returns the UID."""
    try:
        cal = ical.parse(text)
    except ical.InvalidCalendar as exc:
        raise DavError(403, (CALDAV, "valid-calendar-data"), str(exc)) from None
    names = {c.name for c in cal.subcomponents}
    if not names <= ALLOWED_COMPONENTS or "VEVENT" not in names:
        raise DavError(403, (CALDAV, "supported-calendar-component"),
                       "only VEVENT objects are accepted in this calendar")
    uids = {str(ev.get("UID", "")).strip() for ev in ical.events(cal)}
    if len(uids) != 1 or "" in uids:
        raise DavError(403, (CALDAV, "valid-calendar-object-resource"),
                       "every component of an object must carry the same UID")
    for ev in ical.events(cal):
        if "DTSTART" not in ev:
            raise DavError(403, (CALDAV, "valid-calendar-data"), "VEVENT without DTSTART")
        try:
            ical.event_bounds(ev)
        except Exception as exc:  # bad DTEND/DURATION values
            raise DavError(403, (CALDAV, "valid-calendar-data"), f"invalid dates: {exc}") from None
    return uids.pop()


def handle(ctx: DavContext) -> HttpResponse:
    t = ctx.target
    if t.kind != OBJECT:
        raise DavError(405, message="PUT is only allowed on calendar objects")
    t.require_write()
    text = read_body(ctx)
    uid = check_object(text)
    if_match = ctx.request.META.get("HTTP_IF_MATCH")
    if_none_match = ctx.request.META.get("HTTP_IF_NONE_MATCH", "").strip()
    existing = store.get_booking(t.resource, t.name)
    if existing and if_none_match == "*":
        raise DavError(412, message="the object already exists")
    if not existing and if_match:
        raise DavError(412, message="the object does not exist")
    try:
        if existing:
            appt = existing.appointment
            if appt.uid != uid:
                raise DavError(403, (CALDAV, "no-uid-conflict"), "the UID of an object cannot change", href=t.path)
            appt = services.save_appointment(appt, ical_text=text, if_match=if_match)
            status = 204
        else:
            clash = store.uid_in_use(t.resource, uid)
            if clash:
                raise DavError(403, (CALDAV, "no-uid-conflict"), "UID already used in this calendar",
                               href=ctx.object_path(t.resource, clash))
            appt = services.create_appointment(
                branch=ctx.credential.branch, resources=[t.resource], source=Appointment.Source.PHONE,
                ical_text=text, names={t.resource.pk: t.name})
            status = 201
    except services.PreconditionFailed:
        raise DavError(412, message="ETag does not match") from None
    except services.UidConflict as exc:
        raise DavError(403, (CALDAV, "no-uid-conflict"), "UID already used in this calendar",
                       href=ctx.object_path(t.resource, exc.booking.name)) from None
    except (ValidationError, ical.InvalidCalendar) as exc:
        msg = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        raise DavError(403, (CALDAV, "valid-calendar-data"), msg) from None
    except IntegrityError:
        raise DavError(409, message="concurrent change of the same object, retry") from None
    resp = HttpResponse(status=status)
    resp["ETag"] = f'"{appt.etag}"'
    return resp
