"""Cross-cutting HTTP concerns: the Content-Security-Policy header and "database unavailable" as 503.

Django 5.2 has no built-in CSP (6.0 will); ours is one header from one setting,
sent on every response, in development too, so that the test suite and the
browser tests prove that the pages work under it.

A database that is down, restarting or (SQLite) locked beyond the busy timeout
raises ``OperationalError``/``InterfaceError``. That is a temporary condition:
``503 Service Unavailable`` with ``Retry-After`` tells phones and scripts to try
again, where a 500 would read as a bug. The traceback is logged all the same.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views import defaults

log = logging.getLogger("terminsync.db")
RETRY_AFTER = 5  # seconds
DATABASE_ERRORS = (OperationalError, InterfaceError)


class ContentSecurityPolicyMiddleware:
    """Adds ``settings.CONTENT_SECURITY_POLICY`` to every response that has none of its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", "")
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response


def unavailable() -> HttpResponse:
    response = HttpResponse(_("Der Dienst ist vorübergehend nicht erreichbar. Bitte in einigen Sekunden "
                              "erneut versuchen."), status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER)
    return response


class DatabaseUnavailableMiddleware:
    """A database error raised in a view becomes 503 + Retry-After instead of 500."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DATABASE_ERRORS):
            return None
        log.error("Database unavailable: %s %s answered 503", request.method, request.path, exc_info=exception)
        return unavailable()


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: the same 503 for database errors raised outside a view (e.g. saving the session).

    Django calls it while handling the exception (with ``DEBUG`` off), so
    ``sys.exc_info()`` is that exception; it has been logged already.
    """
    if isinstance(sys.exc_info()[1], DATABASE_ERRORS):
        return unavailable()
    return defaults.server_error(request)
