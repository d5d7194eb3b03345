"""The JSON the planner's grid draws: EventCalendar event objects, columns and the conflict list.

Times are sent as wall-clock values of the branch's zone without an offset ("floating"): the grid
shows them as they are, so a week across a DST change is drawn right whatever the browser's zone.
The planner sends wall-clock values back, and ``forms`` reads them in the branch's zone.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.urls import reverse
from django.utils.formats import date_format, time_format

from scheduler.history_display import Entry
from scheduler.models import Appointment, Resource
from scheduler.selectors import PlannerConflict, PlannerEntry, PlannerFeed

MAX_NOTES = 500


def wall(value: dt.datetime, tz: zoneinfo.ZoneInfo) -> str:
    return value.astimezone(tz).replace(tzinfo=None).isoformat(timespec="seconds")


def resource_json(res: Resource) -> dict:
    return {"id": str(res.pk), "title": res.name, "kind": res.kind, "color": res.color,
            "extendedProps": {"kind": res.kind, "color": res.color}}


def _when(entry: PlannerEntry, tz: zoneinfo.ZoneInfo) -> str:
    s, e = entry.start.astimezone(tz), entry.end.astimezone(tz)
    if entry.appointment.all_day:
        last = (e - dt.timedelta(days=1)).date()
        day = date_format(s.date(), "SHORT_DATE_FORMAT")
        return day if last <= s.date() else f"{day} – {date_format(last, 'SHORT_DATE_FORMAT')}"
    return f"{date_format(s, 'SHORT_DATE_FORMAT')} {time_format(s, 'H:i')}–{time_format(e, 'H:i')}"


def _classes(appt: Appointment, in_conflict: bool) -> list[str]:
    classes = [f"appt-{appt.pk}", f"status-{appt.status.lower()}"]
    if appt.source == Appointment.Source.PHONE:
        classes.append("from-phone")
    if in_conflict:
        classes.append("conflict")
    return classes


def event_json(entry: PlannerEntry, feed: PlannerFeed, tz: zoneinfo.ZoneInfo, conflicted: set[int],
               colors: dict[int, str], urls: dict[str, str]) -> dict:
    appt = entry.appointment
    bookings = feed.bookings.get(appt.pk, [])
    if appt.all_day:
        start, end = entry.start.astimezone(tz).date().isoformat(), entry.end.astimezone(tz).date().isoformat()
    else:
        start, end = wall(entry.start, tz), wall(entry.end, tz)
    return {
        "id": f"{appt.pk}@{int(entry.start.timestamp())}",
        "resourceIds": [str(rid) for rid in entry.resource_ids],
        "allDay": appt.all_day, "start": start, "end": end, "title": appt.title,
        "backgroundColor": next((colors[rid] for rid in entry.resource_ids if rid in colors), None),
        "classNames": _classes(appt, appt.pk in conflicted),
        "extendedProps": {
            "appointment": appt.pk, "etag": appt.etag, "occurrence": entry.start.isoformat(),
            "status": appt.status, "statusLabel": str(appt.get_status_display()),
            "source": appt.source, "sourceLabel": str(appt.get_source_display()),
            "recurring": bool(appt.rrule), "allDay": appt.all_day, "when": _when(entry, tz),
            "resources": [b.resource.name for b in bookings], "place": appt.place,
            "notes": appt.notes[:MAX_NOTES], "changedBy": appt.changed_by,
            "conflict": appt.pk in conflicted, "branch": appt.branch_id,
            "changeUrl": urls["change"].replace("/0/", f"/{appt.pk}/"),
            "historyUrl": urls["history"].replace("/0/", f"/{appt.pk}/"),
        },
    }


def conflict_json(c: PlannerConflict, tz: zoneinfo.ZoneInfo) -> dict:
    return {"resource": c.resource.name, "resourceId": c.resource.pk,
            "start": wall(c.start, tz), "end": wall(c.end, tz),
            "when": f"{date_format(c.start.astimezone(tz), 'SHORT_DATE_FORMAT')} "
                    f"{time_format(c.start.astimezone(tz), 'H:i')}–{time_format(c.end.astimezone(tz), 'H:i')}",
            "appointments": [{"id": e.appointment.pk, "title": e.appointment.title} for e in (c.first, c.second)]}


def feed_json(feed: PlannerFeed, tz: zoneinfo.ZoneInfo) -> dict:
    conflicted = {e.appointment.pk for c in feed.conflicts for e in (c.first, c.second)}
    colors = {r.pk: r.color for r in feed.resources}
    urls = {page: reverse(f"admin:scheduler_appointment_{page}", args=[0]) for page in ("change", "history")}
    return {"events": [event_json(e, feed, tz, conflicted, colors, urls) for e in feed.entries if e.resource_ids],
            "conflicts": [conflict_json(c, tz) for c in feed.conflicts]}


def versions_json(appt: Appointment, entries: list[Entry], restore_url: str | None) -> dict:
    """The popover's short history: newest first; ``restoreUrl`` only where the user may restore."""
    return {"appointment": appt.pk, "etag": appt.etag, "versions": [
        {"id": e.pk, "at": e.at, "who": e.who, "door": e.door, "action": e.action, "summary": e.summary,
         "restoreUrl": restore_url.replace("/0/", f"/{e.pk}/") if restore_url and e.restorable else None}
        for e in entries]}
