"""PROPFIND (RFC 4918 §9.1) at Depth 0 and 1; Depth infinity is refused (§9.1, propfind-finite-depth)."""

from __future__ import annotations

import itertools

from django.http import HttpRequest, HttpResponse

from scheduler import selectors
from servicecreds import access

from .. import health, privacy
from ..context import CALENDAR, HOME, OBJECT, DavContext, Target
from ..davxml import DAV, inner, multistatus, multistatus_body, parse_request_body, response, split, xml_response
from ..errors import DavError
from ..listing import ObjectResponses
from ..props import render_props

# An object in a PROPFIND: no iCalendar text (calendar-data is a REPORT's, RFC 4791 §9.6)
PROPFIND_FIELDS = ("etag", "size", "modified")


def parse_request(request: HttpRequest) -> tuple[str, list[tuple[str, str]]]:
    """(mode, names): mode is 'allprop', 'propname' or 'prop'; names are (ns, name) pairs."""
    root = parse_request_body(request)
    if root is None:
        return "allprop", []
    if split(root.tag) != (DAV, "propfind"):
        raise DavError(400, message="expected DAV:propfind")
    for child in root:
        ns_name = split(child.tag)
        if ns_name == (DAV, "propname"):
            return "propname", []
        if ns_name == (DAV, "allprop"):
            include = root.find(f"{{{DAV}}}include")
            return "allprop", [split(c.tag) for c in include] if include is not None else []
        if ns_name == (DAV, "prop"):
            return "prop", [split(c.tag) for c in child]
    raise DavError(400, message="DAV:propfind needs prop, allprop or propname")


def calendars(ctx: DavContext) -> list[Target]:
    """The home's members: the credential's calendars."""
    return [ctx.calendar_target(r, access.resource_decision(ctx.credential, r)) for r in ctx.calendars]


def handle(ctx: DavContext) -> HttpResponse:
    depth = ctx.depth
    if depth not in ("0", "1"):
        raise DavError(403, (DAV, "propfind-finite-depth"), "Depth: infinity is not supported")
    mode, names = parse_request(ctx.request)
    target = ctx.target
    if target.kind == OBJECT:
        found = list(selectors.object_rows(target.resource, names=[target.name], size=True, modified=True,
                                           levels=privacy.levels(ctx, target.resource)))
        target.obj = found[0] if found else None
        if target.obj is None:
            raise DavError(404, message="no such object")
    targets = [target] + (calendars(ctx) if depth == "1" and target.kind == HOME else [])
    if any(t.kind == CALENDAR for t in targets) and health.is_sync_poll(mode, names):
        health.note_sync(ctx.credential)
    root = multistatus()
    for t in targets:
        response(root, t.path, render_props(ctx, t, names, allprop=(mode == "allprop"),
                                            names_only=(mode == "propname")))
    if depth == "0" or target.kind != CALENDAR:
        return xml_response(root)
    # Depth 1 on a calendar: its objects, from one query's rows, written out as they are read
    objects = ObjectResponses(ctx, names, allprop=(mode == "allprop"), names_only=(mode == "propname"),
                              loadable=PROPFIND_FIELDS)
    return multistatus_body(itertools.chain((inner(root),), objects.render_all(objects.rows())))
