"""The CalDAV backend: every query the protocol layer makes, in one place.

Each function runs a fixed number of SQL queries, whatever the number of
objects, so PROPFIND and REPORT never query per object. Views and handlers
never build querysets themselves.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from scheduler.models import Booking, Change, Resource, occurrence_annotations, overlap_q

# Columns needed to describe an object without its body (PROPFIND, sync, multiget ETags).
_META = ("name", "appointment_id", "appointment__etag", "appointment__size", "appointment__modified",
         "appointment__uid")


@dataclass
class CalendarObject:
    """One object of a calendar as the protocol sees it (``ical`` only when asked for)."""

    name: str
    appointment_id: int
    etag: str
    size: int
    modified: dt.datetime
    uid: str
    ical: str | None = None
    occurs: bool | None = None  # from the occurrence table: instance in the queried range? None = unknown

    @classmethod
    def from_row(cls, row: dict) -> CalendarObject:
        known = row.get("occurs_known")
        return cls(name=row["name"], appointment_id=row["appointment_id"], etag=row["appointment__etag"],
                   size=row["appointment__size"], modified=row["appointment__modified"],
                   uid=row["appointment__uid"], ical=row.get("appointment__ical"),
                   occurs=row["occurs"] if known else None)


def _rows(qs, with_data: bool, extra=()) -> list[CalendarObject]:
    fields = _META + (("appointment__ical",) if with_data else ()) + tuple(extra)
    return [CalendarObject.from_row(r) for r in qs.values(*fields)]


def _active(resource: Resource):
    return Booking.objects.active().filter(resource=resource)


def all_objects(resource: Resource, *, with_data: bool = False) -> list[CalendarObject]:
    return _rows(_active(resource).order_by("name"), with_data)


def get_object(resource: Resource, name: str, *, with_data: bool = True) -> CalendarObject | None:
    rows = _rows(_active(resource).filter(name=name), with_data)
    return rows[0] if rows else None


def get_booking(resource: Resource, name: str) -> Booking | None:
    return _active(resource).select_related("appointment", "resource").filter(name=name).first()


def objects_by_names(resource: Resource, names, *, with_data: bool = False) -> dict[str, CalendarObject]:
    names = list(dict.fromkeys(names))
    found: dict[str, CalendarObject] = {}
    for i in range(0, len(names), 500):  # stay below SQLite's parameter limit
        for obj in _rows(_active(resource).filter(name__in=names[i:i + 500]), with_data):
            found[obj.name] = obj
    return found


def objects_changed(resource: Resource, names: list[str], after: int, upto: int, *,
                    with_data: bool = False) -> dict[str, CalendarObject]:
    """Current objects among the names changed in (after, upto]: one query, however many changed.

    A short list of names is looked up directly (the (resource, name) index); a long
    one through the change log itself, so the statement stays one query either way.
    """
    if len(names) <= 500:
        selected = names
    else:
        selected = Change.objects.filter(resource=resource, revision__gt=after, revision__lte=upto).values("name")
    return {o.name: o for o in _rows(_active(resource).filter(name__in=selected), with_data)}


def objects_in_range(resource: Resource, start: dt.datetime | None, end: dt.datetime | None,
                     *, with_data: bool = True) -> list[CalendarObject]:
    """Candidates whose time-range index overlaps [start, end), each with ``occurs`` from the
    occurrence table (exact where the table covers the range; None where the caller must expand)."""
    qs = _active(resource).filter(overlap_q(start, end, "appointment__"))
    if start is None and end is None:
        return _rows(qs.order_by("name"), with_data)
    qs = qs.annotate(**occurrence_annotations(start, end, "appointment__"))
    return _rows(qs.order_by("name"), with_data, extra=("occurs", "occurs_known"))


def uid_in_use(resource: Resource, uid: str, *, except_name: str | None = None) -> str | None:
    """The object name that already carries ``uid`` in this calendar (RFC 4791 §4.1), if any."""
    qs = _active(resource).filter(appointment__uid=uid)
    if except_name is not None:
        qs = qs.exclude(name=except_name)
    return qs.values_list("name", flat=True).first()


def changes_since(resource: Resource, revision: int, limit: int | None = None) -> list[dict]:
    """Change-log rows after ``revision``, oldest first (cost grows with the changes only)."""
    qs = (Change.objects.filter(resource=resource, revision__gt=revision).order_by("revision")
          .values("name", "op", "revision"))
    return list(qs[:limit] if limit else qs)
