"""calendar-query (RFC 4791 §7.8): index prefilter, then the exact filter on the candidates only.

The filter judges the object as this credential receives it (V1): a text-match on a field that
redaction took out finds nothing.
"""

from __future__ import annotations

import itertools

from django.http import HttpResponse
from lxml import etree

from scheduler import ical, selectors

from .. import privacy
from ..context import DavContext
from ..davxml import CALDAV, multistatus_body
from ..filters import Query, compile_filter
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
    if fast and (start or end):
        return _by_index(ctx, query, objects)
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


def _by_index(ctx: DavContext, query: Query, objects: ObjectResponses) -> HttpResponse:
    """A time-range alone (what iOS, DAVx5 and Thunderbird send): the time-range index and the occurrence
    table answer it in one query, as rows at each object's privacy level. Only what the table cannot
    decide (an endless series past its horizon) is loaded, expanded and matched, then received (V1)."""
    resource = ctx.target.resource
    rows, undecided = objects.rows_in_range(*query.time_range)
    expanded = []
    if undecided:
        loaded = selectors.objects_by_names(resource, undecided, with_data=True,
                                            redacted=privacy.may_redact(ctx, resource))
        matched = [o for o in loaded.values() if query.matches(ical.parse(o.ical))]
        expanded = privacy.received(ctx, resource, matched)
    return multistatus_body(objects.render_all(itertools.chain(rows, expanded)), stream=objects.streamable)
