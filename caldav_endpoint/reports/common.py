"""What every REPORT shares: the requested properties, the calendar check, hrefs to object names."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from urllib.parse import urljoin, urlsplit

from lxml import etree

from ..calendar_data import shaper
from ..context import CALENDAR, MAX_NAME, DavContext, object_name_problem, path_segments
from ..davxml import CALDAV, DAV, split
from ..errors import DavError

# An href that ``urljoin`` could change: query, fragment, dot segments
_NEEDS_URLJOIN = re.compile(r"[?#]|/\.")
# A last segment that decoding leaves as it is and that names an object as it stands (most: "<uid>.ics")
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_~@-][A-Za-z0-9_.~@-]*")


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


def names_from_hrefs(ctx: DavContext, hrefs: Iterable[str]) -> dict[str, str | None]:
    """{href: the object name if ``href`` points into this calendar, else None}, in request order.

    The href is split and each segment decoded once, exactly as a request path is
    (``context.path_segments``), so it finds what a GET of the same href finds.
    """
    base = ctx.calendar_path(ctx.target.resource)
    hrefs = list(hrefs)
    joined = "\n".join(hrefs)
    if len(hrefs) > 1 and joined.count("\n") == len(hrefs) - 1 and _own_plain_hrefs(base).fullmatch(joined):
        return {href: href[len(base):] for href in hrefs}  # what ``_name`` gives each of them, in one scan
    parent = [s.lower() for s in path_segments(base)]
    return {href: _name(base, parent, href) for href in hrefs}


@functools.lru_cache(maxsize=256)
def _own_plain_hrefs(base: str) -> re.Pattern:
    """Lines of ``base`` + a plain name (``_PLAIN_NAME``, at most ``MAX_NAME`` characters): a client's
    multiget names our own hrefs back, and ``_name`` takes each of them as it stands. One match over
    the joined hrefs instead of a dozen steps per href (issue 13). A line break within an href (found by
    counting the lines), space around it or any other shape fails: then each href goes through ``_name``."""
    plain = rf"{re.escape(base)}[A-Za-z0-9_~@-][A-Za-z0-9_.~@-]{{0,{MAX_NAME - 1}}}"
    return re.compile(rf"(?:{plain}\n)*{plain}")


def _name(base: str, parent: list[str], href: str) -> str | None:
    href = href.strip()
    try:
        if href.startswith(base) and not _NEEDS_URLJOIN.search(href):
            rest = href[len(base):]
            if len(rest) <= MAX_NAME and _PLAIN_NAME.fullmatch(rest):
                return rest  # no "%", "/", control character or leading dot: nothing to decode or refuse
            # what clients send: our own href back. Then the parent segments are ours, and only
            # the rest is split and decoded (the same function, on less text).
            segments = path_segments(href[len(base):])
            return segments[0] if len(segments) == 1 and not object_name_problem(segments[0]) else None
        segments = path_segments(urlsplit(urljoin(base, href)).path)
    except (DavError, ValueError):
        return None
    if len(segments) != len(parent) + 1 or [s.lower() for s in segments[:-1]] != parent:
        return None
    name = segments[-1]
    return None if object_name_problem(name) else name
