"""OPTIONS (RFC 4918 §10.1, RFC 4791 §5.1): what this server speaks; no login needed."""

from __future__ import annotations

from django.http import HttpResponse

from ..context import DavContext

ALLOW = "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, REPORT"


def handle(ctx: DavContext | None) -> HttpResponse:
    """``ctx`` is None when answered before authentication (``views.dav``)."""
    resp = HttpResponse(status=200)
    resp["DAV"] = "1, 3, calendar-access"
    resp["Allow"] = ALLOW
    resp["Content-Length"] = "0"
    return resp
