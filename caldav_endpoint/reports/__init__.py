"""REPORT handlers by root element; ``supported-report-set`` lists exactly these."""

from ..davxml import CALDAV, DAV
from . import calendar_multiget, calendar_query, free_busy, sync_collection

REPORTS = {
    (CALDAV, "calendar-query"): calendar_query.handle,
    (CALDAV, "calendar-multiget"): calendar_multiget.handle,
    (CALDAV, "free-busy-query"): free_busy.handle,
    (DAV, "sync-collection"): sync_collection.handle,
}
