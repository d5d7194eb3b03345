"""calendar-multiget (RFC 4791 §7.9): any number of hrefs, a fixed number of queries."""

from __future__ import annotations

from django.http import HttpResponse
from lxml import etree

from ..context import DavContext
from ..davxml import DAV, multistatus_body
from ..errors import DavError
from ..listing import ObjectResponses, status_response
from .common import calendar_only, names_from_hrefs, requested


def handle(ctx: DavContext, root: etree._Element) -> HttpResponse:
    calendar_only(ctx)
    names, _with_data = requested(ctx, root)
    hrefs = [h.text or "" for h in root.findall(f"{{{DAV}}}href")]
    if not hrefs:
        raise DavError(400, message="calendar-multiget needs at least one DAV:href")
    wanted = names_from_hrefs(ctx, hrefs)
    objects = ObjectResponses(ctx, names)
    rows = list(objects.rows(n for n in wanted.values() if n))  # as many as asked for
    found = dict(zip((row.name for row in rows), objects.render_many(rows), strict=True))
    return multistatus_body((found[name] if name in found else status_response(h, 404)
                             for h, name in wanted.items()), stream=objects.streamable)
