"""PROPFIND (RFC 4918 §9.1) at Depth 0 and 1; Depth infinity is refused (§9.1, propfind-finite-depth)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from scheduler import selectors
from servicecreds import access

from .. import health, privacy
from ..context import CALENDAR, HOME, OBJECT, DavContext, Target
from ..davxml import DAV, multistatus, parse_request_body, response, split, xml_response
from ..errors import DavError
from ..props import render_props


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


def children(ctx: DavContext, target: Target) -> list[Target]:
    if target.kind == HOME:
        return [ctx.calendar_target(r, access.resource_decision(ctx.credential, r))
                for r in ctx.calendars]
    if target.kind == CALENDAR:
        res = target.resource
        objects = selectors.all_objects(res, redacted=privacy.may_redact(ctx, res))
        return [Target(OBJECT, ctx.object_path(res, o.name), resource=res, name=o.name, decision=target.decision,
                       obj=o)
                for o in privacy.received(ctx, res, objects)]
    return []


def handle(ctx: DavContext) -> HttpResponse:
    depth = ctx.depth
    if depth not in ("0", "1"):
        raise DavError(403, (DAV, "propfind-finite-depth"), "Depth: infinity is not supported")
    mode, names = parse_request(ctx.request)
    target = ctx.target
    if target.kind == OBJECT:
        target.obj = privacy.received_one(ctx, target.resource, selectors.get_object(
            target.resource, target.name, with_data=False, redacted=privacy.may_redact(ctx, target.resource)))
        if target.obj is None:
            raise DavError(404, message="no such object")
    targets = [target] + (children(ctx, target) if depth == "1" else [])
    if any(t.kind == CALENDAR for t in targets) and health.is_sync_poll(mode, names):
        health.note_sync(ctx.credential)
    root = multistatus()
    for t in targets:
        response(root, t.path, render_props(ctx, t, names, allprop=(mode == "allprop"),
                                            names_only=(mode == "propname")))
    return xml_response(root)
