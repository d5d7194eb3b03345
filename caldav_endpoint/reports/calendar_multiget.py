"""calendar-multiget (RFC 4791 §7.9): any number of hrefs, a fixed number of queries."""

from __future__ import annotations

from django.http import HttpResponse
from lxml import etree

from scheduler import selectors

from .. import privacy
from ..context import DavContext
from ..davxml import DAV, multistatus, response, xml_response
from ..errors import DavError
from .common import add_object, calendar_only, name_from_href, requested


def handle(ctx: DavContext, root: etree._Element) -> HttpResponse:
    calendar_only(ctx)
    names, with_data = requested(ctx, root)
    hrefs = [h.text or "" for h in root.findall(f"{{{DAV}}}href")]
    if not hrefs:
        raise DavError(400, message="calendar-multiget needs at least one DAV:href")
    wanted = {h: name_from_href(ctx, h) for h in hrefs}
    res = ctx.target.resource
    found = selectors.objects_by_names(res, [n for n in wanted.values() if n], with_data=with_data,
                                       redacted=privacy.may_redact(ctx, res))
    found = {o.name: o for o in privacy.received(ctx, res, found.values())}
    ms = multistatus()
    for h, name in wanted.items():
        obj = found.get(name) if name else None
        if obj is None:
            response(ms, h, status=404)
        else:
            add_object(ctx, ms, obj, names)
    return xml_response(ms)
