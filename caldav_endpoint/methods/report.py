"""REPORT (RFC 3253 §3.6): dispatch by the body's root element to ``reports.REPORTS``."""

from __future__ import annotations

from django.http import HttpResponse

from ..context import DavContext
from ..davxml import DAV, parse_request_body, split
from ..errors import DavError
from ..reports import REPORTS


def handle(ctx: DavContext) -> HttpResponse:
    root = parse_request_body(ctx.request)
    if root is None:
        raise DavError(400, message="REPORT needs a body")
    handler = REPORTS.get(split(root.tag))
    if handler is None:
        raise DavError(403, (DAV, "supported-report"), f"unsupported report {root.tag}")
    return handler(ctx, root)
