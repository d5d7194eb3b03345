"""The property registry (RFC 4918 §15, RFC 4791 §5.2/§6.2, RFC 5397, RFC 6578, Apple/CS extensions).

Each property knows its name, the kinds of target it applies to, whether
``allprop`` includes it, and how to render itself. PROPFIND and the REPORTs look
names up here: an unknown name is a 404 propstat by construction.

A property of a calendar object whose value differs from object to object (ETag, size,
last-modified, calendar-data) is registered with ``object_prop``: it is one text
function of the object, so a listing (``listing``) renders it from a row without
building a Target or an element per object.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.http import http_date
from lxml import etree

from scheduler import ical
from scheduler.contract import MAX_OBJECT_SIZE
from scheduler.selectors import CalendarObject
from servicecreds import access

from . import privacy, sync
from .context import CALENDAR, HOME, OBJECT, PRINCIPAL, ROOT, DavContext, Target
from .davxml import CALDAV, CS, DAV, ICAL, element, href, sub
from .models import CalendarPreference
from .report_names import SUPPORTED_REPORTS

ALL = {ROOT, PRINCIPAL, HOME, CALENDAR, OBJECT}
COLLECTION_KINDS = {ROOT, PRINCIPAL, HOME, CALENDAR}
MAX_RESOURCE_SIZE = MAX_OBJECT_SIZE  # the contract's limit, advertised (RFC 4791 §5.2.5)
MIN_DATE_TIME = "19000101T000000Z"
MAX_DATE_TIME = "20991231T235959Z"


Renderer = Callable[[DavContext, Target], etree._Element]
# The text of an object property from one object: a ``CalendarObject`` or a ``selectors.ObjectRow``
# (both have name, etag, size, modified, ical and redacted).
ObjectText = Callable[[DavContext, Any], str]


class NotFound(Exception):
    """The property does not exist on this target (rendered as a 404 propstat)."""


@dataclass(frozen=True)
class Prop:
    ns: str
    name: str
    kinds: frozenset[str]
    allprop: bool
    render: Renderer
    text: ObjectText | None = None  # per-object value of an ``object_prop``
    reads: str = ""  # the object field the text needs ("etag", "size", "modified", "ical"): a listing loads it


REGISTRY: dict[tuple[str, str], Prop] = {}


def prop(ns: str, name: str, kinds: Iterable[str] = ALL, allprop: bool = True) -> Callable[[Renderer], Renderer]:
    def register(fn: Renderer) -> Renderer:
        REGISTRY[(ns, name)] = Prop(ns, name, frozenset(kinds), allprop, fn)
        return fn
    return register


def object_prop(ns: str, name: str, reads: str, allprop: bool = True) -> Callable[[ObjectText], ObjectText]:
    """Register a property of calendar objects given by its text; NotFound from the text is a 404."""
    def register(text: ObjectText) -> ObjectText:
        def render(ctx: DavContext, t: Target) -> etree._Element:
            return _el(ns, name, text(ctx, _obj(t)))
        REGISTRY[(ns, name)] = Prop(ns, name, frozenset({OBJECT}), allprop, render, text, reads)
        return text
    return register


def lookup(ns: str, name: str, target: Target) -> Prop | None:
    p = REGISTRY.get((ns, name))
    return p if p and target.kind in p.kinds else None


def names_for(target: Target, *, allprop: bool) -> list[Prop]:
    return [p for p in REGISTRY.values() if target.kind in p.kinds and (p.allprop or not allprop)]


def _el(ns: str, name: str, text: str | None = None) -> etree._Element:
    return element(ns, name, text)


def _href_prop(ns: str, name: str, path: str) -> etree._Element:
    el = _el(ns, name)
    el.append(href(path))
    return el


# --- generic WebDAV -------------------------------------------------------------------------

@prop(DAV, "resourcetype")
def resourcetype(ctx: DavContext, t: Target) -> etree._Element:
    el = _el(DAV, "resourcetype")
    if t.kind in COLLECTION_KINDS:
        sub(el, DAV, "collection")
    if t.kind == PRINCIPAL:
        sub(el, DAV, "principal")
    if t.kind == CALENDAR:
        sub(el, CALDAV, "calendar")
    return el


def _preference(ctx: DavContext, t: Target) -> CalendarPreference | None:
    return ctx.preferences.get(t.resource.pk) if t.resource else None


@prop(DAV, "displayname", COLLECTION_KINDS)
def displayname(ctx: DavContext, t: Target) -> etree._Element:
    if t.kind == CALENDAR:
        pref = _preference(ctx, t)
        return _el(DAV, "displayname", (pref and pref.displayname) or t.resource.name)
    if t.kind in (PRINCIPAL, HOME):
        emp = ctx.credential.employee
        return _el(DAV, "displayname", emp.display_name if emp else ctx.credential.username)
    return _el(DAV, "displayname", "Terminsync")


@prop(DAV, "current-user-principal")
def current_user_principal(ctx: DavContext, t: Target) -> etree._Element:
    return _href_prop(DAV, "current-user-principal", ctx.principal_path())


@prop(DAV, "principal-URL", {PRINCIPAL, HOME, CALENDAR}, allprop=False)
def principal_url(ctx: DavContext, t: Target) -> etree._Element:
    return _href_prop(DAV, "principal-URL", ctx.principal_path())


@prop(DAV, "owner", {PRINCIPAL, HOME, CALENDAR}, allprop=False)
def owner(ctx: DavContext, t: Target) -> etree._Element:
    return _href_prop(DAV, "owner", ctx.principal_path())


@prop(DAV, "principal-collection-set", COLLECTION_KINDS, allprop=False)
def principal_collection_set(ctx: DavContext, t: Target) -> etree._Element:
    return _href_prop(DAV, "principal-collection-set", "/principals/")


@prop(DAV, "current-user-privilege-set", allprop=False)
def current_user_privilege_set(ctx: DavContext, t: Target) -> etree._Element:
    """RFC 3744 §5.4: drives read-only calendars in Thunderbird, DAVx5 and Evolution."""
    el = _el(DAV, "current-user-privilege-set")
    privileges = ["read", "read-current-user-privilege-set"]
    writable = t.kind in (CALENDAR, OBJECT) and t.decision and t.decision.can_write and not _redacted(ctx, t)
    if writable:
        privileges += ["write", "write-content", "write-properties", "bind", "unbind"]
    if t.kind == CALENDAR and not writable:
        privileges += ["write-properties"]  # colour and name are per credential, always allowed
    for name in privileges:
        sub(sub(el, DAV, "privilege"), DAV, name)
    return el


def _redacted(ctx: DavContext, t: Target) -> bool:
    """V1: a redacted object is read-only, and so is a calendar that may hold redacted objects."""
    if t.kind == OBJECT:
        return t.obj is not None and t.obj.redacted
    return privacy.may_redact(ctx, t.resource)


@prop(DAV, "supported-report-set", {CALENDAR, HOME, PRINCIPAL, ROOT}, allprop=False)
def supported_report_set(ctx: DavContext, t: Target) -> etree._Element:
    """Exactly the REPORTs that ``reports.REPORTS`` answers (RFC 3253 §3.1.5)."""
    el = _el(DAV, "supported-report-set")
    if t.kind == CALENDAR:
        for ns, name in SUPPORTED_REPORTS:
            sub(sub(sub(el, DAV, "supported-report"), DAV, "report"), ns, name)
    return el


@prop(DAV, "sync-token", {CALENDAR}, allprop=False)
def sync_token(ctx: DavContext, t: Target) -> etree._Element:
    return _el(DAV, "sync-token", sync.sync_token(t.resource))


@object_prop(DAV, "getetag", "etag")
def getetag(ctx: DavContext, obj: Any) -> str:
    return f'"{obj.etag}"'


@prop(DAV, "getcontenttype", {OBJECT, CALENDAR})
def getcontenttype(ctx: DavContext, t: Target) -> etree._Element:
    if t.kind == CALENDAR:
        return _el(DAV, "getcontenttype", "text/calendar; charset=utf-8")
    return _el(DAV, "getcontenttype", "text/calendar; charset=utf-8; component=vevent")


@object_prop(DAV, "getcontentlength", "size")
def getcontentlength(ctx: DavContext, obj: Any) -> str:
    return str(obj.size)


@object_prop(DAV, "getlastmodified", "modified")
def getlastmodified(ctx: DavContext, obj: Any) -> str:
    return http_date(obj.modified.timestamp())


@object_prop(CALDAV, "calendar-data", "ical", allprop=False)
def calendar_data(ctx: DavContext, obj: Any) -> str:
    """The object's iCalendar (RFC 4791 §9.6); REPORTs may set ``ctx.extra["calendar_data"]`` to
    a function that selects components/properties or expands recurrences."""
    if obj.ical is None:
        raise NotFound
    shape = ctx.extra.get("calendar_data")
    return shape(obj) if shape else obj.ical


def _obj(t: Target) -> CalendarObject:
    if t.obj is None:
        raise NotFound
    return t.obj


# --- CalDAV principal and home (RFC 4791 §6.2, RFC 6638 §2.4.1) ------------------------------

@prop(CALDAV, "calendar-home-set", {PRINCIPAL, ROOT, HOME}, allprop=False)
def calendar_home_set(ctx: DavContext, t: Target) -> etree._Element:
    return _href_prop(CALDAV, "calendar-home-set", ctx.home_path())


@prop(CALDAV, "schedule-default-calendar-URL", {PRINCIPAL, HOME}, allprop=False)
def schedule_default_calendar_url(ctx: DavContext, t: Target) -> etree._Element:
    """RFC 6638 §9.2: the calendar for new events, the credential's own person calendar.

    The RFC defines it on the scheduling inbox; we have none, so it is offered where
    clients look during discovery (principal and home). Without an own calendar: 404.
    """
    own = access.default_calendar(ctx.calendars)
    if own is None:
        raise NotFound
    return _href_prop(CALDAV, "schedule-default-calendar-URL", ctx.calendar_path(own))


@prop(CALDAV, "calendar-user-address-set", {PRINCIPAL, ROOT}, allprop=False)
def calendar_user_address_set(ctx: DavContext, t: Target) -> etree._Element:
    el = _el(CALDAV, "calendar-user-address-set")
    emp = ctx.credential.employee
    email = (emp and emp.email) or ctx.credential.user.email
    if email:
        el.append(href(f"mailto:{email}"))
    el.append(href(ctx.principal_path()))
    return el


@prop(CS, "email-address-set", {PRINCIPAL}, allprop=False)
def email_address_set(ctx: DavContext, t: Target) -> etree._Element:
    el = _el(CS, "email-address-set")
    emp = ctx.credential.employee
    email = (emp and emp.email) or ctx.credential.user.email
    if email:
        sub(el, CS, "email-address", email)
    return el


# --- CalDAV calendar collection (RFC 4791 §5.2, RFC 7809) -------------------------------------

@prop(CALDAV, "calendar-description", {CALENDAR})
def calendar_description(ctx: DavContext, t: Target) -> etree._Element:
    r = t.resource
    return _el(CALDAV, "calendar-description", f"{r.name} ({r.get_kind_display()}, {r.branch.name})")


@prop(CALDAV, "supported-calendar-component-set", {CALENDAR}, allprop=False)
def supported_calendar_component_set(ctx: DavContext, t: Target) -> etree._Element:
    el = _el(CALDAV, "supported-calendar-component-set")
    sub(el, CALDAV, "comp").set("name", "VEVENT")
    return el


@prop(CALDAV, "supported-calendar-data", {CALENDAR}, allprop=False)
def supported_calendar_data(ctx: DavContext, t: Target) -> etree._Element:
    el = _el(CALDAV, "supported-calendar-data")
    ct = sub(el, CALDAV, "calendar-data")
    ct.set("content-type", "text/calendar")
    ct.set("version", "2.0")
    return el


@prop(CALDAV, "calendar-timezone", {CALENDAR}, allprop=False)
def calendar_timezone(ctx: DavContext, t: Target) -> etree._Element:
    """A full VTIMEZONE of the branch's zone: floating and all-day values are evaluated in it (§7.3)."""
    text = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:" + ical.PRODID + "\r\n"
            + ical.vtimezone(t.resource.branch.timezone) + "END:VCALENDAR\r\n")
    return _el(CALDAV, "calendar-timezone", text)


@prop(CALDAV, "calendar-timezone-id", {CALENDAR}, allprop=False)
def calendar_timezone_id(ctx: DavContext, t: Target) -> etree._Element:
    return _el(CALDAV, "calendar-timezone-id", t.resource.branch.timezone)


@prop(CALDAV, "max-resource-size", {CALENDAR}, allprop=False)
def max_resource_size(ctx: DavContext, t: Target) -> etree._Element:
    return _el(CALDAV, "max-resource-size", str(MAX_RESOURCE_SIZE))


@prop(CALDAV, "min-date-time", {CALENDAR}, allprop=False)
def min_date_time(ctx: DavContext, t: Target) -> etree._Element:
    return _el(CALDAV, "min-date-time", MIN_DATE_TIME)


@prop(CALDAV, "max-date-time", {CALENDAR}, allprop=False)
def max_date_time(ctx: DavContext, t: Target) -> etree._Element:
    return _el(CALDAV, "max-date-time", MAX_DATE_TIME)


@prop(CALDAV, "schedule-calendar-transp", {CALENDAR}, allprop=False)
def schedule_calendar_transp(ctx: DavContext, t: Target) -> etree._Element:
    el = _el(CALDAV, "schedule-calendar-transp")
    sub(el, CALDAV, "opaque")
    return el


@prop(CS, "getctag", {CALENDAR})
def getctag(ctx: DavContext, t: Target) -> etree._Element:
    return _el(CS, "getctag", sync.sync_token(t.resource))


@prop(ICAL, "calendar-color", {CALENDAR})
def calendar_color(ctx: DavContext, t: Target) -> etree._Element:
    pref = _preference(ctx, t)
    color = (pref and pref.color) or t.resource.color
    return _el(ICAL, "calendar-color", color if len(color) == 9 else color + "FF")


@prop(ICAL, "calendar-order", {CALENDAR}, allprop=False)
def calendar_order(ctx: DavContext, t: Target) -> etree._Element:
    """Apple's calendar-order: the client's own (PROPPATCH, per credential) if it set one, else the
    position in the home's listing, so the own calendar sorts first (``access.calendar_sort_key``)."""
    pref = _preference(ctx, t)
    if pref and pref.order is not None:
        return _el(ICAL, "calendar-order", str(pref.order))
    position = next((i for i, r in enumerate(ctx.calendars) if r.pk == t.resource.pk), len(ctx.calendars))
    return _el(ICAL, "calendar-order", str(position + 1))


def resolve(target: Target, requested: Iterable[tuple[str, str]], *, allprop: bool = False,
            names_only: bool = False) -> list[tuple[str, str, Prop | None]]:
    """The requested names once each (``allprop``/``propname`` add the target's own), with their Prop (None: 404)."""
    if allprop or names_only:
        requested = [(p.ns, p.name) for p in names_for(target, allprop=allprop)] + list(requested)
    return [(ns, name, lookup(ns, name, target)) for ns, name in dict.fromkeys(requested)]


def render_props(ctx: DavContext, target: Target, requested: Iterable[tuple[str, str]], *, allprop: bool = False,
                 names_only: bool = False) -> dict[int, list[etree._Element]]:
    """Render requested (ns, name) pairs into {status: [elements]} for one propstat group each."""
    out: dict[int, list[etree._Element]] = {}
    for ns, name, p in resolve(target, requested, allprop=allprop, names_only=names_only):
        if p is None:
            out.setdefault(404, []).append(element(ns, name))
            continue
        if names_only:
            out.setdefault(200, []).append(element(ns, name))
            continue
        try:
            out.setdefault(200, []).append(p.render(ctx, target))
        except NotFound:
            out.setdefault(404, []).append(element(ns, name))
    if ctx.minimal:
        out.pop(404, None)
    return out
