"""REPORT handlers by root element: one for each name in ``report_names.SUPPORTED_REPORTS``, no more."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpResponse
from lxml import etree

from ..context import DavContext
from ..report_names import CALENDAR_MULTIGET, CALENDAR_QUERY, FREE_BUSY_QUERY, SYNC_COLLECTION
from . import calendar_multiget, calendar_query, free_busy, sync_collection

ReportHandler = Callable[[DavContext, etree._Element], HttpResponse]

REPORTS: dict[tuple[str, str], ReportHandler] = {
    CALENDAR_QUERY: calendar_query.handle,
    CALENDAR_MULTIGET: calendar_multiget.handle,
    FREE_BUSY_QUERY: free_busy.handle,
    SYNC_COLLECTION: sync_collection.handle,
}
