"""What every REPORT shares: the requested properties and one DAV:response per object."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urljoin, urlsplit

from lxml import etree

from scheduler.selectors import CalendarObject

from ..calendar_data import shaper
from ..context import CALENDAR, OBJECT, DavContext, Target, object_name_problem, path_segments
from ..davxml import CALDAV, DAV, response, split
from ..errors import DavError
from ..props import render_props


def requested(ctx: DavContext, root: etree._Element) -> tuple[list[tuple[str, str]], bool]:
    """Requested property names, and whether calendar-data (the bodies) is needed.

    Sets the calendar-data shaper (partial data, expand) on the context.
    """
    prop = root.find(f"{{{DAV}}}prop")
    if prop is None:
        if root.find(f"{{{DAV}}}allprop") is not None:
            return [(DAV, "getetag"), (CALDAV, "calendar-data")], True
        return [(DAV, "getetag")], False
    names = [split(c.tag) for c in prop]
    cd = prop.find(f"{{{CALDAV}}}calendar-data")
    ctx.extra["calendar_data"] = shaper(cd, ctx.target.resource.branch.timezone) if cd is not None else None
    return names, (CALDAV, "calendar-data") in names


def calendar_only(ctx: DavContext) -> None:
    if ctx.target.kind != CALENDAR:
        raise DavError(403, (DAV, "supported-report"), "this REPORT is answered on calendar collections")


def object_target(ctx: DavContext, obj: CalendarObject) -> Target:
    res = ctx.target.resource
    return Target(OBJECT, ctx.object_path(res, obj.name), resource=res, name=obj.name,
                  decision=ctx.target.decision, obj=obj)


def add_object(ctx: DavContext, ms: etree._Element, obj: CalendarObject, names: Iterable[tuple[str, str]]) -> None:
    t = object_target(ctx, obj)
    response(ms, t.path, render_props(ctx, t, names))


def name_from_href(ctx: DavContext, href: str) -> str | None:
    """The object name if ``href`` points into this calendar, else None.

    The href is split and each segment decoded once, exactly as a request path is
    (``context.path_segments``), so it finds what a GET of the same href finds.
    """
    base = ctx.calendar_path(ctx.target.resource)
    try:
        segments = path_segments(urlsplit(urljoin(base, href.strip())).path)
    except (DavError, ValueError):
        return None
    parent = path_segments(base)
    if len(segments) != len(parent) + 1 or [s.lower() for s in segments[:-1]] != [s.lower() for s in parent]:
        return None
    name = segments[-1]
    return None if object_name_problem(name) else name
