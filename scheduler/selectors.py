"""Reads without side effects, shared by the REST API, the admin and the planner.

Time ranges are answered like the CalDAV calendar-query: the time-range index
prefilters, the occurrence table decides in SQL, and only objects the table
does not cover for the range (an endless series queried past its horizon) are
expanded in Python, under the request's expansion budget.
"""

from __future__ import annotations

import datetime as dt

from . import ical
from .models import Appointment, occurrence_annotations


def appointments_in_range(queryset, start: dt.datetime | None, end: dt.datetime | None) -> list[Appointment]:
    """Appointments with an occurrence in [start, end) (RFC 4791 §9.9 overlap)."""
    qs = queryset.overlapping(start, end).select_related("branch")
    if start is None and end is None:
        return list(qs)
    result = []
    for appt in qs.annotate(**occurrence_annotations(start, end)):
        if appt.occurs_known:
            if appt.occurs:
                result.append(appt)
        elif ical.occurrences(ical.parse(appt.ical), start, end, appt.timezone or appt.branch.timezone):
            result.append(appt)
    return result
