"""Reading a request body whatever its framing: Content-Length, or chunked where the server allows it.

Django's ``request.body`` reads ``Content-Length`` bytes and nothing else, so a
chunked request (``Transfer-Encoding: chunked``, no length; some clients stream
PUTs that way) would read as empty and be stored as an empty object. PEP 3333
lets a server read past the length only when it has marked the input stream as
terminated (``wsgi.input_terminated``, which gunicorn sets): then the stream
ends where the de-chunked body ends. Without that mark nobody can tell where the
body stops, and the answer is 411 Length Required (RFC 9110 §15.5.12).
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest

from .errors import DavError

_CHUNK = 64 * 1024
_CACHE = "_terminsync_body"


class BodyTooLarge(DavError):
    """The body is longer than the caller's limit (413); PUT turns it into CALDAV:max-resource-size."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, message=f"request body larger than {limit} bytes")
        self.limit = limit


def is_chunked(request: HttpRequest) -> bool:
    codings = request.META.get("HTTP_TRANSFER_ENCODING", "")
    return "chunked" in [c.strip().lower() for c in codings.split(",")]


def read_body(request: HttpRequest, limit: int) -> bytes:
    """The request body, at most ``limit`` bytes (else ``BodyTooLarge``).

    Raises DavError 400 for a malformed Content-Length and 411 for a chunked body the
    server cannot delimit. Reading twice returns the same bytes.
    """
    cached = getattr(request, _CACHE, None)
    if cached is not None:
        return cached
    body = _read_chunked(request, limit) if is_chunked(request) else _read_sized(request, limit)
    setattr(request, _CACHE, body)
    return body


def _read_sized(request: HttpRequest, limit: int) -> bytes:
    declared = request.META.get("CONTENT_LENGTH") or "0"
    declared = declared.strip()
    if not (declared.isascii() and declared.isdigit()):
        raise DavError(400, message=f"invalid Content-Length {declared[:40]!r}")
    if int(declared) > limit:
        raise BodyTooLarge(limit)
    try:
        body = request.body
    except RequestDataTooBig:  # DATA_UPLOAD_MAX_MEMORY_SIZE is below our limit
        raise BodyTooLarge(limit) from None
    if len(body) > limit:
        raise BodyTooLarge(limit)
    return body


def _read_chunked(request: HttpRequest, limit: int) -> bytes:
    if not request.META.get("wsgi.input_terminated"):
        raise DavError(411, message="chunked request bodies are not supported here: send Content-Length")
    stream = request.META["wsgi.input"]
    parts, size = [], 0
    while True:
        part = stream.read(min(_CHUNK, limit + 1 - size))
        if not part:
            return b"".join(parts)
        parts.append(part)
        size += len(part)
        if size > limit:
            raise BodyTooLarge(limit)
