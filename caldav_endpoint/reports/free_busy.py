"""free-busy-query (RFC 4791 §7.10): a room's busy times without the appointments' details."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import icalendar
from django.http import HttpResponse
from lxml import etree

from scheduler import ical, selectors
from scheduler.models import Resource

from ..context import DavContext
from ..davxml import CALDAV
from ..errors import DavError
from ..filters import clamp, parse_time_range
from .common import calendar_only

UTC = dt.timezone.utc
Period = tuple[dt.datetime, dt.datetime, str]


def busy_periods(resource: Resource, start: dt.datetime, end: dt.datetime) -> list[Period]:
    tz = zoneinfo.ZoneInfo(resource.branch.timezone)
    periods = []
    for obj in selectors.objects_in_range(resource, start, end, with_data=True):
        for inst in ical.occurrences(ical.parse(obj.ical), start, end, tz):
            if str(inst.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
                continue
            status = str(inst.get("STATUS", "CONFIRMED")).upper()
            if status == "CANCELLED":
                continue
            s, e = ical.event_bounds(inst)
            s, e = max(ical.to_utc(s, tz), start), min(ical.to_utc(e, tz), end)
            if e > s:
                periods.append((s, e, "BUSY-TENTATIVE" if status == "TENTATIVE" else "BUSY"))
    return merge(sorted(periods))


def merge(periods: list[Period]) -> list[Period]:
    out = []
    for s, e, kind in periods:
        if out and out[-1][2] == kind and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e), kind)
        else:
            out.append((s, e, kind))
    return out


def handle(ctx: DavContext, root: etree._Element) -> HttpResponse:
    calendar_only(ctx)
    tr = root.find(f"{{{CALDAV}}}time-range")
    if tr is None:
        raise DavError(400, message="free-busy-query needs a time-range")
    requested = parse_time_range(tr, clamped=False)
    if None in requested:
        raise DavError(400, message="free-busy-query needs start and end")
    start, end = clamp(*requested)  # the busy times are computed inside the window only
    cal = icalendar.Calendar()
    cal.add("PRODID", ical.PRODID)
    cal.add("VERSION", "2.0")
    fb = icalendar.FreeBusy()
    fb.add("DTSTAMP", dt.datetime.now(UTC))
    fb.add("DTSTART", requested[0])  # RFC 4791 §7.10: the requested range, as asked
    fb.add("DTEND", requested[1])
    periods = busy_periods(ctx.target.resource, start, end) if end > start else []
    for s, e, kind in periods:
        fb.add("FREEBUSY", (s, e), parameters={"FBTYPE": kind})
    cal.add_component(fb)
    return HttpResponse(cal.to_ical(), content_type="text/calendar; charset=utf-8")
