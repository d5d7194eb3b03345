"""calendar-query (RFC 4791 §7.8): index prefilter, then the exact filter on the candidates only.

The filter judges the object as this credential receives it (V1): a text-match on a field that
redaction took out finds nothing.
"""

from __future__ import annotations

from django.http import HttpResponse
from lxml import etree

from scheduler import ical, selectors

from .. import privacy
from ..context import DavContext
from ..davxml import CALDAV, multistatus, xml_response
from ..filters import compile_filter
from .common import add_object, calendar_only, requested


def handle(ctx: DavContext, root: etree._Element) -> HttpResponse:
    calendar_only(ctx)
    resource = ctx.target.resource
    query = compile_filter(root.find(f"{{{CALDAV}}}filter"), resource.branch.timezone)
    names, with_data = requested(ctx, root)
    ms = multistatus()
    if query.matches_nothing:
        return xml_response(ms)
    start, end = query.time_range
    fast = query.time_range_only
    redacted = privacy.may_redact(ctx, resource)
    candidates = privacy.received(ctx, resource, selectors.objects_in_range(
        resource, start, end, with_data=with_data or not fast, redacted=redacted))
    # where the occurrence table cannot answer (an endless series beyond its horizon), load and expand
    missing = [o.name for o in candidates if o.ical is None and not (fast and o.occurs is not None)]
    bodies = selectors.objects_by_names(resource, missing, with_data=True) if missing else {}
    for obj in candidates:
        if fast and obj.occurs is not None:
            match = obj.occurs  # the occurrence table answers; nothing to parse
        else:
            match = query.matches(ical.parse(obj.ical if obj.ical is not None else bodies[obj.name].ical))
        if match:
            add_object(ctx, ms, obj, names)
    return xml_response(ms)
