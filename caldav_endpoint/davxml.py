"""All XML of the WebDAV layer: the namespaces (from ``namespaces``), a safe parser, and the multistatus builders.

Request bodies come from the network, so the parser resolves no entities, loads
no DTD, never touches the network and refuses any DOCTYPE (billion laughs,
XXE); the body size is limited before parsing. Comments and processing
instructions are dropped while parsing, so every node a handler iterates is an
element whose ``tag`` is a ``{namespace}name`` string.

Multistatus bodies are built by lxml. A listing of thousands of objects is not a tree
of thousands of elements, though: lxml serialises one DAV:response per *shape* once
(``ResponseTemplate``), with slots where the per-object values go (href, ETag, ...),
and every value is escaped by ``escape`` on its way into a slot. ``multistatus_body``
sends the result in chunks: a small body in one piece with Content-Length, a large one
streamed, so memory stays flat however many objects a calendar holds (issue 13).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from lxml import etree

from .body import read_body
from .errors import DavError
from .namespaces import CALDAV, CS, DAV, ICAL, NSMAP, qname  # noqa: F401 (re-exported for the handlers)

MAX_XML_BODY = getattr(settings, "CALDAV_MAX_XML_BODY", 1024 * 1024)

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                          huge_tree=False, remove_blank_text=True, remove_comments=True, remove_pis=True)


# "<!DOCTYPE" or "<!ENTITY" in any case, found in one scan of the bytes
_DECLARATION = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)


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
    if _DECLARATION.search(data):
        raise DavError(400, message="DOCTYPE and entity declarations are not allowed")
    try:
        root = etree.fromstring(data, _PARSER)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise DavError(400, message=f"malformed XML: {exc}") from exc
    # The byte check above cannot see a DOCTYPE in UTF-16/32; the parsed tree can. Without a
    # DOCTYPE no entity can be declared, so no node other than an element survives the parser.
    if root.getroottree().docinfo.doctype:
        raise DavError(400, message="DOCTYPE and entity declarations are not allowed")
    # lxml filters by node type in C: no Python object per element (a multiget names a hundred hrefs)
    if next(root.iter(etree.Entity, etree.Comment, etree.ProcessingInstruction), None) is not None:
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


# --- Incremental multistatus (listings, REPORTs) -------------------------------------------------

CONTENT_TYPE = "application/xml; charset=utf-8"
# Characters per chunk of a multistatus body; a body within one chunk is sent whole (Content-Length).
# About 1 100 objects' ETags: a phone's usual calendar is answered in one piece, a big one streamed.
STREAM_CHUNK = 256 * 1024
# XML 1.0 §2.2: characters no XML document can carry, even escaped; lxml refuses them, we send U+FFFD.
# Spelled as the complement of Char (#x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]):
# a class of a few small ranges is tested with a bitmap, three times faster per short value than the
# negated class with its large ranges, which was a fifth of a 10 000-object listing (issue 13).
_NOT_XML_CHARS = "\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff"
_NOT_XML = re.compile(f"[{_NOT_XML_CHARS}]")
_ESCAPE = re.compile(f"[&<>\r{_NOT_XML_CHARS}]")  # anything ``escape`` changes
# The same characters below U+0080: all an ASCII text can hold of them. ``bytes.translate`` deletes them
# in one C loop, four times faster than the regular expression scans a calendar object (issue 13).
_NOT_XML_ASCII = bytes(c for c in range(0x20) if chr(c) not in "\t\n\r")
# Slot markers in a template: private-use code points, never in text the templates are built from.
_SLOT_OPEN, _SLOT_CLOSE = "\ue000", "\ue001"
_SLOT = re.compile(f"{_SLOT_OPEN}([0-9]+){_SLOT_CLOSE}")
_MARK = _SLOT_OPEN + "mark" + _SLOT_CLOSE


def escape(text: str) -> str:
    """``text`` as XML character data, exactly as lxml writes it: & < > escaped, CR as ``&#13;`` (so
    that an iCalendar's CRLF survives the client's line-end normalisation, XML 1.0 §2.11)."""
    if not _ESCAPE.search(text):  # most hrefs and every ETag: one scan, no copy
        return text
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    return _NOT_XML.sub("\ufffd", text) if _has_not_xml(text) else text


# ``escape_all`` joins values with NUL: no value of a PostgreSQL text column holds one, and a value that
# does (SQLite can store it) is found by counting, and then the values are escaped one by one.
_SEPARATOR = "\x00"
_NOT_XML_BUT_SEPARATOR_CHARS = "\x01" + _NOT_XML_CHARS.removeprefix("\x00")  # "\x01-\x08...": NUL left out
_ESCAPE_BUT_SEPARATOR = re.compile(f"[&<>\r{_NOT_XML_BUT_SEPARATOR_CHARS}]")  # ``_ESCAPE`` without NUL
_NOT_XML_BUT_SEPARATOR = re.compile(f"[{_NOT_XML_BUT_SEPARATOR_CHARS}]")


def escape_all(values: Sequence[str]) -> list[str]:
    """``[escape(v) for v in values]``, in a few passes over all of them joined.

    A multiget's 100 calendar objects cost a fifth of the request when each went through ``escape``
    on its own: five scans and calls per object, and PostgreSQL's answer was already in (issue 13).
    Joined, the same replacements run once over the whole text, in C.
    """
    if len(values) < 2:
        return [escape(v) for v in values]
    joined = _SEPARATOR.join(values)
    separators = len(values) - 1
    if joined.count(_SEPARATOR) != separators:  # a value holds NUL itself: one by one
        return [escape(v) for v in values]
    if not _ESCAPE_BUT_SEPARATOR.search(joined):  # hrefs and ETags, mostly: nothing to change
        return list(values)
    joined = joined.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    out = joined.split(_SEPARATOR)
    if joined.isascii():
        clean = len(joined.encode("ascii").translate(None, _NOT_XML_ASCII)) == len(joined) - separators
    else:
        clean = _NOT_XML_BUT_SEPARATOR.search(joined) is None
    if not clean:  # a character XML cannot carry, in some value: U+FFFD there, as ``escape`` does
        out = [_NOT_XML.sub("\ufffd", v) if _has_not_xml(v) else v for v in out]
    return out


def _has_not_xml(text: str) -> bool:
    """Does ``text`` hold a character XML cannot carry? ``isascii`` is a flag lookup, and most calendar
    data are ASCII: then its bytes are checked by ``bytes.translate``, otherwise by the expression."""
    if text.isascii():
        return len(text.encode("ascii").translate(None, _NOT_XML_ASCII)) != len(text)
    return _NOT_XML.search(text) is not None


def slot(index: int) -> str:
    """Placeholder text for slot ``index`` of a ``ResponseTemplate``."""
    return f"{_SLOT_OPEN}{index}{_SLOT_CLOSE}"


def _envelope() -> tuple[str, str]:
    root = multistatus()
    root.text = _MARK
    head, tail = etree.tostring(root, xml_declaration=True, encoding="utf-8").decode().split(_MARK)
    return head, tail


HEAD, TAIL = _envelope()


def inner(root: etree._Element) -> str:
    """The children of a ``multistatus()`` root as XML text, for use between ``HEAD`` and ``TAIL``."""
    if len(root) == 0:
        return ""
    text = etree.tostring(root, xml_declaration=True, encoding="utf-8").decode()
    if not (text.startswith(HEAD) and text.endswith(TAIL)):
        raise ValueError("not a multistatus root")
    return text[len(HEAD):-len(TAIL)]


class ResponseTemplate:
    """One DAV:response serialised by lxml once, with slots filled per object (``fill_all``).

    Build it from a ``multistatus()`` root holding one response whose per-object texts
    are ``slot(0)``, ``slot(1)``, ... in document order.
    """

    def __init__(self, root: etree._Element, slots: int) -> None:
        pieces = _SLOT.split(inner(root))
        if [int(i) for i in pieces[1::2]] != list(range(slots)):
            raise ValueError("slots must appear once each, in order")
        self.slots = slots
        self._join = _joiner(pieces[0::2])

    def fill_all(self, columns: Sequence[Sequence[str]]) -> list[str]:
        """The responses of many objects, each value escaped (``escape``) into its slot: ``columns[i]``
        holds slot ``i``'s value of each object.

        Each column is escaped in one go (``escape_all``): a column of names or ETags is one scan
        that finds nothing, a column of calendar data one pass per replacement.
        """
        if len(columns) != self.slots:
            raise ValueError(f"{self.slots} columns expected")
        join = self._join
        return [join(values) for values in zip(*map(escape_all, columns), strict=True)]


def _joiner(pieces: Sequence[str]) -> Callable[[Sequence[str]], str]:
    """A function putting values between ``pieces`` (one more piece than values): a ``join`` of a tuple for
    the usual shapes (href; href and ETag; and calendar data), five times faster than ``str.format``."""
    if len(pieces) == 2:
        a, b = pieces
        return lambda v: "".join((a, v[0], b))
    if len(pieces) == 3:
        a, b, c = pieces
        return lambda v: "".join((a, v[0], b, v[1], c))
    if len(pieces) == 4:
        a, b, c, d = pieces
        return lambda v: "".join((a, v[0], b, v[1], c, v[2], d))
    template: list[str | None] = [None] * (2 * len(pieces) - 1)
    template[0::2] = pieces

    def join(values: Sequence[str]) -> str:
        parts = template.copy()
        parts[1::2] = values
        return "".join(parts)  # type: ignore[arg-type]

    return join


def _chunks(pieces: Iterable[str], size: int) -> Generator[bytes, None, None]:
    buffer: list[str] = []
    length = 0
    for piece in pieces:
        buffer.append(piece)
        length += len(piece)
        if length >= size:
            yield "".join(buffer).encode("utf-8")
            buffer, length = [], 0
    if buffer:
        yield "".join(buffer).encode("utf-8")


def multistatus_body(pieces: Iterable[str], *, stream: bool = True) -> HttpResponse:
    """A 207 whose body is ``HEAD``, the pieces, ``TAIL``, encoded in chunks of ``CALDAV_STREAM_CHUNK`` characters.

    The first chunk is produced here, inside the view (so the query has run and a database error is
    still a 503). A body that fits in it is sent whole with Content-Length; a longer one is streamed and
    the rest is produced while the server writes (each chunk freed once sent). ``stream=False`` makes
    everything run here: for work that may still be refused (expansion budget, ``ical.ExpansionLimit``).
    """
    # With ATOMIC_REQUESTS the view's transaction ends before the server writes: a PostgreSQL
    # server-side cursor opened inside it would be gone. Not set here; if it ever is, build it all now.
    stream = stream and not connection.settings_dict.get("ATOMIC_REQUESTS")
    size = getattr(settings, "CALDAV_STREAM_CHUNK", STREAM_CHUNK)
    chunks = _chunks(itertools.chain((HEAD,), pieces, (TAIL,)), size)
    first = list(itertools.islice(chunks, 1 if stream else None))
    following = next(chunks, None) if stream else None
    if following is None:
        return HttpResponse(b"".join(first), status=207, content_type=CONTENT_TYPE)
    return StreamingHttpResponse(_stream([*first, following], chunks), status=207, content_type=CONTENT_TYPE)


def _stream(ready: list[bytes], chunks: Generator[bytes, None, None]) -> Iterator[bytes]:
    """The body's chunks; closed by the server when it is done or the client went away (Django closes the
    response before ``request_finished`` ends the database connection), which closes the query's cursor."""
    try:
        yield from ready
        ready.clear()
        yield from chunks
    finally:
        chunks.close()
