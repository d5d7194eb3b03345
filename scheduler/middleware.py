"""Every request gets one recurrence-expansion budget (R1: no input makes unbounded work).

Reads that must expand a series in Python (past the occurrence table's horizon,
``expand``, free-busy, the REST range filter) charge it; a request that would
exceed it is refused by its door (``ical.ExpansionLimit``), instead of holding a
worker for minutes.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from . import ical


def expansion_budget(get_response: Callable[[HttpRequest], HttpResponse]):
    def middleware(request: HttpRequest) -> HttpResponse:
        with ical.Budget():
            return get_response(request)

    return middleware
