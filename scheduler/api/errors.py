"""The REST door's translation of the contract's refusals: one table, RFC 9457 problem details.

A refusal answers with its status and a body that names the reason and the
field, e.g. ``{"type": "urn:terminsync:problem:conflict", "title": "Conflict",
"status": 409, "detail": "...", "code": "conflict", "field": "resources",
"errors": {"resources": ["..."]}, "resources": ["..."]}``: the field keys are
repeated at the top (DRF's usual shape), so generic DRF clients show the
message beside the field too.
"""

from __future__ import annotations

from http import HTTPStatus

from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from scheduler import exceptions as refused
from scheduler import ical

# Most specific class first: the first match wins.
STATUS: list[tuple[type[refused.AppointmentRefused], int]] = [
    (refused.PreconditionFailed, 412),
    (refused.UidConflict, 409),
    (refused.BookingConflict, 409),
    (refused.AppointmentRefused, 400),
]


def problem(exc: refused.AppointmentRefused) -> Response:
    status = next(st for cls, st in STATUS if isinstance(exc, cls))
    body = _problem_body(status, exc.code, exc.message, exc.field)
    if isinstance(exc, refused.BookingConflict):
        body["conflicts"] = [{"resource": c.resource.pk, "appointment": c.other_id, "title": c.other_title,
                              "start": c.start.isoformat(), "end": c.end.isoformat()} for c in exc.conflicts]
        body["hint"] = 'Send "allow_conflict": true to store it anyway, flagged as a double booking.'
    if isinstance(exc, refused.PreconditionFailed) and exc.current_etag:
        body["current_etag"] = f'"{exc.current_etag}"'
    return Response(body, status=status)


def _first(detail, codes) -> tuple[str, str, str]:
    """(field, message, code) of the first error in DRF's nested detail."""
    field = "non_field_errors"
    while isinstance(detail, dict) and detail:
        field = next(iter(detail))
        detail, codes = detail[field], codes[field] if isinstance(codes, dict) else codes
    while isinstance(detail, list) and detail:
        detail, codes = detail[0], codes[0] if isinstance(codes, list) else codes
    return field, str(detail), str(codes)


PROBLEM_MEMBERS = {"type", "title", "status", "detail", "instance", "code", "field", "errors"}


def _problem_body(status: int, code: str, detail: str, field: str | None = None, errors: dict | None = None) -> dict:
    body = {"type": f"urn:terminsync:problem:{code}", "title": HTTPStatus(status).phrase, "status": status,
            "detail": detail, "code": code}
    if field:
        body["field"] = field
        body["errors"] = errors or {field: [detail]}
        # DRF's usual {field: [messages]} beside, unless a field is called like a problem member ("title")
        body.update({k: v for k, v in body["errors"].items() if k not in PROBLEM_MEMBERS})
    return body


def validation_problem(exc: ValidationError) -> Response:
    """DRF's own input errors (types, lengths, NUL characters) in the same problem shape, fields kept."""
    field, message, code = _first(exc.detail, exc.get_codes())
    errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
    return Response(_problem_body(400, code, message, field, errors), status=400)


def exception_handler(exc, context):
    """DRF's ``EXCEPTION_HANDLER``: every API error as an RFC 9457 problem naming field and reason."""
    if isinstance(exc, refused.AppointmentRefused):
        return problem(exc)
    if isinstance(exc, ical.ExpansionLimit):
        return Response(_problem_body(400, "expansion_limit", "The time range would expand too many recurrence "
                                      "instances; narrow it.", "end"), status=400)
    if isinstance(exc, ValidationError):
        return validation_problem(exc)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        response.data = _problem_body(response.status_code, code, str(exc.detail))
    return response
