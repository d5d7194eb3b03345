"""The REPORTs this server answers, by the request body's root element (RFC 3253 §3.6).

``reports.REPORTS`` maps exactly these names to their handlers, and the
``DAV:supported-report-set`` property (``props``) lists them (RFC 3253 §3.1.5).
The names live apart from the handlers because the handlers render properties:
``props`` importing ``reports`` would be an import cycle.
"""

from __future__ import annotations

from .namespaces import CALDAV, DAV

CALENDAR_QUERY = (CALDAV, "calendar-query")
CALENDAR_MULTIGET = (CALDAV, "calendar-multiget")
FREE_BUSY_QUERY = (CALDAV, "free-busy-query")
SYNC_COLLECTION = (DAV, "sync-collection")

SUPPORTED_REPORTS: tuple[tuple[str, str], ...] = (CALENDAR_QUERY, CALENDAR_MULTIGET, FREE_BUSY_QUERY, SYNC_COLLECTION)
