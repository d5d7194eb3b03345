"""calendar-query (RFC 4791 §7.8): index prefilter, then the exact filter on the candidates only."""

from __future__ import annotations

from scheduler import ical

from .. import store
from ..davxml import CALDAV, multistatus, xml_response
from ..filters import compile_filter
from .common import add_object, calendar_only, requested


def handle(ctx, root):
    calendar_only(ctx)
    resource = ctx.target.resource
    query = compile_filter(root.find(f"{{{CALDAV}}}filter"), resource.branch.timezone)
    names, _ = requested(ctx, root)
    ms = multistatus()
    if query.matches_nothing:
        return xml_response(ms)
    start, end = query.time_range
    for obj in store.objects_in_range(resource, start, end, with_data=True):
        if query.matches(ical.parse(obj.ical)):
            add_object(ctx, ms, obj, names)
    return xml_response(ms)
