"""The one DAV view: authenticate, resolve the path, dispatch by method, render DavErrors.

Each method lives in its own module under ``methods/``; this file only wires them.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, HttpResponseRedirect
from django.views.decorators.csrf import csrf_exempt

from scheduler import ical
from scheduler.exceptions import AppointmentRefused
from servicecreds import access
from servicecreds.models import ServiceCredential

from . import errors, health, refusals
from .auth import authenticate_request
from .context import DavContext, read_ahead_hint, request_path, resolve
from .davxml import DAV
from .errors import DavError
from .methods import HANDLERS, options

log = logging.getLogger("terminsync.caldav")


@csrf_exempt
def well_known(request: HttpRequest) -> HttpResponse:
    """RFC 6764 §5: a 301 (some clients fail on 302) to the context path."""
    return HttpResponsePermanentRedirect("/caldav/")


@csrf_exempt
def dav(request: HttpRequest, path: str = "") -> HttpResponse:
    method = request.method.upper()
    if method == "OPTIONS":
        return options.handle(None)
    if method in ("GET", "HEAD") and request.path == "/":
        return HttpResponseRedirect("/admin/")
    path = request_path(request)
    try:
        result = authenticate_request(request, *read_ahead_hint(path, method))
    except DavError as exc:
        return errors.render(exc)
    return serve(request, path, result.credential, result.decision)


def serve(request: HttpRequest, path: str, credential: ServiceCredential,
          decision: access.Decision) -> HttpResponse:
    """Everything after authentication; the Test button enters here too (``probe``)."""
    try:
        target = resolve(path, credential, decision)
        handler = HANDLERS.get(request.method.upper())
        if handler is None:
            raise DavError(405, message=f"{request.method} is not supported",
                           headers={"Allow": options.ALLOW})
        ctx = DavContext(request, credential, decision, target)
        try:
            return handler(ctx)
        except AppointmentRefused as exc:
            health.note_refusal(credential, exc.code, request.META.get("HTTP_USER_AGENT", ""), exc.message)
            raise refusals.to_dav_error(exc, ctx.object_path) from None
        except ical.ExpansionLimit:
            raise DavError(507, (DAV, "number-of-matches-within-limits"),
                           "the request would expand too many recurrence instances; narrow the time range") from None
    except DavError as exc:
        if exc.status >= 500:
            log.error("CalDAV %s %s failed: %s", request.method, path, exc.message)
        return errors.render(exc)
