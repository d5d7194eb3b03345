"""Errors are values: raised deep in a handler, rendered in one place (``render``)."""

from __future__ import annotations

from django.http import HttpResponse
from lxml import etree

from .namespaces import DAV, NSMAP, qname


class DavError(Exception):
    """An HTTP error, optionally with an RFC precondition element ``(namespace, name)`` (RFC 4918 §16).

    ``href`` adds a DAV:href inside the precondition element (e.g. no-uid-conflict).
    """

    def __init__(self, status: int, precondition: tuple[str, str] | None = None, message: str = "",
                 href: str | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message or str(status))
        self.status = status
        self.precondition = precondition
        self.message = message
        self.href = href
        self.headers = headers or {}


def render(exc: DavError) -> HttpResponse:
    if exc.precondition:
        root = etree.Element(qname(DAV, "error"), nsmap=NSMAP)
        cond = etree.SubElement(root, qname(*exc.precondition))
        if exc.href:
            etree.SubElement(cond, qname(DAV, "href")).text = exc.href
        if exc.message:
            # sabre/dav convention, read by humans debugging a client
            etree.SubElement(root, "{http://sabredav.org/ns}message").text = exc.message
        body = etree.tostring(root, xml_declaration=True, encoding="utf-8")
        resp = HttpResponse(body, status=exc.status, content_type="application/xml; charset=utf-8")
    else:
        resp = HttpResponse(exc.message, status=exc.status, content_type="text/plain; charset=utf-8")
    for key, value in exc.headers.items():
        resp[key] = value
    return resp
