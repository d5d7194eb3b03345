"""Reads without side effects, shared by the REST API and the admin (the CalDAV store has its own)."""

from __future__ import annotations

import datetime as dt

from . import ical
from .models import Appointment


def appointments_in_range(queryset, start: dt.datetime | None, end: dt.datetime | None) -> list[Appointment]:
    """Appointments with an occurrence in [start, end): index prefilter, then exact expansion.

    Uses the same time-range index and the same expansion (``ical.occurrences``)
    as the CalDAV calendar-query, so both answer the same question alike.
    """
    result = []
    for appt in queryset.overlapping(start, end).select_related("branch"):
        if ical.occurrences(ical.parse(appt.ical), start, end, appt.branch.timezone):
            result.append(appt)
    return result
