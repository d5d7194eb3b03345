"""The CalDAV door's translation of the contract's refusals (``scheduler.exceptions``): one table.

Each refusal becomes an HTTP status and, where RFC 4791/4918 names one, the
precondition element of the DAV:error body, with the human sentence beside it
(sabre/dav's ``s:message``), so a phone's log tells the user what to fix.
"""

from __future__ import annotations

from collections.abc import Callable

from scheduler import exceptions as refused
from scheduler.models import Resource

from .davxml import CALDAV, DAV
from .errors import DavError

TERMINSYNC = "urn:terminsync:dav"

# Most specific class first: the first match wins.
TABLE: list[tuple[type[refused.AppointmentRefused], int, tuple[str, str] | None]] = [
    (refused.TooLarge, 403, (CALDAV, "max-resource-size")),
    (refused.UnsupportedComponent, 403, (CALDAV, "supported-calendar-component")),
    (refused.InvalidObject, 403, (CALDAV, "valid-calendar-object-resource")),
    (refused.InvalidCalendarData, 403, (CALDAV, "valid-calendar-data")),
    (refused.RecurrenceRefused, 403, (CALDAV, "valid-calendar-data")),
    (refused.InvalidTimes, 403, (CALDAV, "valid-calendar-data")),
    (refused.InvalidResources, 403, (CALDAV, "valid-calendar-object-resource")),
    (refused.UidChanged, 403, (CALDAV, "no-uid-conflict")),
    (refused.UidConflict, 403, (CALDAV, "no-uid-conflict")),
    (refused.BookingConflict, 403, (TERMINSYNC, "no-double-booking")),
    (refused.PreconditionFailed, 412, None),
    (refused.AppointmentRefused, 403, (DAV, "error")),
]


def to_dav_error(exc: refused.AppointmentRefused,
                 object_href: Callable[[Resource, str], str] | None = None) -> DavError:
    """``object_href(resource, name)`` builds the href a no-uid-conflict points at."""
    status, precondition = next((st, pre) for cls, st, pre in TABLE if isinstance(exc, cls))
    href = None
    if isinstance(exc, refused.UidConflict) and exc.href and object_href is not None:
        href = object_href(exc.resource, exc.href)
    return DavError(status, precondition, exc.message, href=href)
