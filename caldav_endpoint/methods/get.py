"""GET and HEAD of a calendar object: the stored iCalendar, byte for byte, with a strong ETag.

A colleague's appointment in a room calendar is the redacted object the writer stored (V1).
"""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.http import http_date

from scheduler import preconditions, selectors

from .. import privacy
from ..context import CALENDAR, OBJECT, DavContext
from ..errors import DavError


def handle(ctx: DavContext) -> HttpResponse:
    t = ctx.target
    if t.kind == CALENDAR:
        resp = HttpResponse(f"CalDAV-Kalender „{t.resource.name}“\n", content_type="text/plain; charset=utf-8")
        return resp
    if t.kind != OBJECT:
        return HttpResponse("Terminsync CalDAV\n", content_type="text/plain; charset=utf-8")
    levels = privacy.levels(ctx, t.resource)
    ahead = _read_ahead(ctx, levels)
    if ahead is not None:  # read with the login's statement: no query here
        obj = ahead.row
    else:  # one query, whatever the level: the variant this credential receives is chosen in SQL, as in a listing
        found = list(selectors.object_rows(t.resource, names=[t.name], modified=True, data=True, levels=levels))
        obj = found[0] if found else None
    if obj is None:
        raise DavError(404, message="no such object")
    etag = f'"{obj.etag}"'
    none_match = preconditions.parse(ctx.request.META.get("HTTP_IF_NONE_MATCH"))
    if none_match is not None and none_match.matches_weakly(obj.etag):  # RFC 9110 §13.1.2
        resp = HttpResponse(status=304)
    else:
        body = obj.ical.encode("utf-8")
        resp = HttpResponse(b"" if ctx.request.method == "HEAD" else body,
                            content_type="text/calendar; charset=utf-8; component=vevent")
        resp["Content-Length"] = str(len(body))
    resp["ETag"] = etag
    resp["Last-Modified"] = http_date(obj.modified.timestamp())
    return resp


def _read_ahead(ctx: DavContext, levels: selectors.Levels) -> selectors.ReadAhead | None:
    """The object as authentication read it ahead (``decision_cache.load``), if that read answers this
    request: the calendar and name resolution reached, and a credential that receives this calendar's
    objects complete (V1: the read ahead is of the complete object). None: read it now."""
    ahead = getattr(ctx.credential, "read_ahead", None)
    t = ctx.target
    if ahead is None or ahead.calendar_pk != t.resource.pk or ahead.name != t.name or levels != selectors.Levels():
        return None
    return ahead
