"""All XML of the WebDAV layer: the namespaces (from ``namespaces``), a safe parser, and the multistatus builders.

Request bodies come from the network, so the parser resolves no entities, loads
no DTD, never touches the network and refuses any DOCTYPE (billion laughs,
XXE); the body size is limited before parsing. Comments and processing
instructions are dropped while parsing, so every node a handler iterates is an
element whose ``tag`` is a ``{namespace}name`` string. Nothing here builds XML
from strings.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from lxml import etree

from .body import read_body
from .errors import DavError
from .namespaces import CALDAV, CS, DAV, ICAL, NSMAP, qname  # noqa: F401 (re-exported for the handlers)

MAX_XML_BODY = getattr(settings, "CALDAV_MAX_XML_BODY", 1024 * 1024)

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                          huge_tree=False, remove_blank_text=True, remove_comments=True, remove_pis=True)


def split(tag: str) -> tuple[str, str]:
    """'{ns}name' -> (ns, name); an element in no namespace -> ('', name)."""
    if not tag.startswith("{"):
        return "", tag
    ns, _, name = tag[1:].partition("}")
    return ns, name


def parse_xml(data: bytes) -> etree._Element | None:
    """Parse a request body; None for an empty body. Raises DavError(400) for anything unsafe or broken."""
    if not data or not data.strip():
        return None
    if len(data) > MAX_XML_BODY:
        raise DavError(413, message="XML body too large")
    if b"<!DOCTYPE" in data.upper() or b"<!ENTITY" in data.upper():
        raise DavError(400, message="DOCTYPE and entity declarations are not allowed")
    try:
        root = etree.fromstring(data, _PARSER)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise DavError(400, message=f"malformed XML: {exc}") from exc
    # The byte check above cannot see a DOCTYPE in UTF-16/32; the parsed tree can. Without a
    # DOCTYPE no entity can be declared, so no node other than an element survives the parser.
    if root.getroottree().docinfo.doctype:
        raise DavError(400, message="DOCTYPE and entity declarations are not allowed")
    if any(not isinstance(node.tag, str) for node in root.iter()):
        raise DavError(400, message="entity references are not allowed")
    return root


def parse_request_body(request: HttpRequest) -> etree._Element | None:
    """The request's XML body (Content-Length or chunked, see ``body.read_body``), parsed safely."""
    return parse_xml(read_body(request, MAX_XML_BODY))


def element(ns: str, name: str, text: str | None = None, children: Iterable[etree._Element] = ()) -> etree._Element:
    el = etree.Element(qname(ns, name), nsmap=NSMAP)
    if text is not None:
        el.text = text
    for child in children:
        el.append(child)
    return el


def sub(parent: etree._Element, ns: str, name: str, text: str | None = None) -> etree._Element:
    el = etree.SubElement(parent, qname(ns, name))
    if text is not None:
        el.text = text
    return el


def href(value: str) -> etree._Element:
    return element(DAV, "href", value)


STATUS_TEXT = {200: "OK", 201: "Created", 403: "Forbidden", 404: "Not Found", 409: "Conflict",
               424: "Failed Dependency", 507: "Insufficient Storage"}


def status_line(code: int) -> str:
    return f"HTTP/1.1 {code} {STATUS_TEXT.get(code, '')}".rstrip()


def multistatus() -> etree._Element:
    return element(DAV, "multistatus")


def response(parent: etree._Element, url: str, propstats: dict[int, list] | None = None,
             status: int | None = None, error: etree._Element | None = None) -> etree._Element:
    """Append a DAV:response: either propstats grouped by status, or one status."""
    resp = sub(parent, DAV, "response")
    resp.append(href(url))
    if status is not None:
        sub(resp, DAV, "status", status_line(status))
    for code, props in sorted((propstats or {}).items()):
        ps = sub(resp, DAV, "propstat")
        prop = sub(ps, DAV, "prop")
        for p in props:
            prop.append(p)
        sub(ps, DAV, "status", status_line(code))
    if error is not None:
        resp.append(error)
    return resp


def render(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def xml_response(root: etree._Element, status: int = 207) -> HttpResponse:
    return HttpResponse(render(root), status=status, content_type="application/xml; charset=utf-8")
