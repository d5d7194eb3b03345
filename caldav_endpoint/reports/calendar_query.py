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
from ..davxml import CALDAV, multistatus_body
from ..filters import compile_filter
from ..listing import ObjectResponses
from .common import calendar_only, requested


def handle(ctx: DavContext, root: etree._Element) -> HttpResponse:
    calendar_only(ctx)
    resource = ctx.target.resource
    query = compile_filter(root.find(f"{{{CALDAV}}}filter"), resource.branch.timezone)
    names, with_data = requested(ctx, root)
    objects = ObjectResponses(ctx, names)
    if query.matches_nothing:
        return multistatus_body(())
    start, end = query.time_range
    fast = query.time_range_only
    redacted = privacy.may_redact(ctx, resource)
    candidates = privacy.received(ctx, resource, selectors.objects_in_range(
        resource, start, end, with_data=with_data or not fast, redacted=redacted, alarm=query.needs_alarm))
    # where the occurrence table cannot answer (an endless series beyond its horizon), load and expand
    missing = [o.name for o in candidates if o.ical is None and not (fast and o.occurs is not None)]
    bodies = selectors.objects_by_names(resource, missing, with_data=True) if missing else {}
    matched = []
    for obj in candidates:
        if fast and obj.occurs is not None:
            match = obj.occurs  # the occurrence table answers; nothing to parse
        else:
            match = query.matches(ical.parse(obj.ical if obj.ical is not None else bodies[obj.name].ical))
        if match:
            matched.append(obj)
    return multistatus_body(objects.render_all(matched), stream=objects.streamable)
