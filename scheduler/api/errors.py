"""The REST door's translation of the contract's refusals: one table, RFC 9457 problem details.

A refusal answers with its status and a body that names the reason and the
field, e.g. ``{"type": "urn:terminsync:problem:conflict", "title": "...",
"status": 409, "detail": "...", "code": "conflict", "field": "resources",
"resources": ["..."]}``: the last key keeps DRF's usual ``{field: [messages]}``
shape, so generic DRF clients show the message beside the field too.
"""

from __future__ import annotations

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from scheduler import exceptions as refused

# Most specific class first: the first match wins.
STATUS: list[tuple[type[refused.AppointmentRefused], int, str]] = [
    (refused.PreconditionFailed, 412, "Precondition Failed"),
    (refused.UidConflict, 409, "Conflict"),
    (refused.BookingConflict, 409, "Conflict"),
    (refused.AppointmentRefused, 400, "Bad Request"),
]


def problem(exc: refused.AppointmentRefused) -> Response:
    status, title = next((st, ti) for cls, st, ti in STATUS if isinstance(exc, cls))
    body = {"type": f"urn:terminsync:problem:{exc.code}", "title": title, "status": status,
            "detail": exc.message, "code": exc.code, "field": exc.field, exc.field: [exc.message]}
    if isinstance(exc, refused.BookingConflict):
        body["conflicts"] = [{"resource": c.resource.pk, "appointment": c.other_id, "title": c.other_title,
                              "start": c.start.isoformat(), "end": c.end.isoformat()} for c in exc.conflicts]
        body["hint"] = 'Send "allow_conflict": true to store it anyway, flagged as a double booking.'
    if isinstance(exc, refused.PreconditionFailed) and exc.current_etag:
        body["current_etag"] = f'"{exc.current_etag}"'
    return Response(body, status=status)


def exception_handler(exc, context):
    """DRF's ``EXCEPTION_HANDLER``: contract refusals as problems, everything else as DRF does."""
    if isinstance(exc, refused.AppointmentRefused):
        return problem(exc)
    return drf_exception_handler(exc, context)
