"""A logging filter that keeps credentials out of the log, whatever a message or traceback contains.

Django's reports already hide sensitive POST fields and settings, and our own
log lines name the username, never the password. But an exception message can
quote a header (``Authorization: Basic …`` carries the password, base64 is no
protection), a token or a database URL with its password, and a traceback is
printed as it is. This filter rewrites the message and the formatted traceback
of every record that reaches the console handler.
"""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"
PATTERNS = [
    # credentials as sent in Authorization: "Basic <base64>", "Bearer <token>", DRF's "Token <40 hex>"
    (re.compile(r"\b(Basic|Bearer)(\s+)(?![A-Za-z]+=)[A-Za-z0-9._~+/=-]{6,}"), rf"\1\2{REDACTED}"),
    (re.compile(r"\b(Token)(\s+)[0-9a-f]{20,}"), rf"\1\2{REDACTED}"),
    # HTTP_AUTHORIZATION': '…' in a repr of request.META
    (re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)[^'\",}\s][^'\",}]*"), rf"\1{REDACTED}"),
    # scheme://user:password@host (DATABASE_URL, REDIS_URL)
    (re.compile(r"(\w+://[^:/@\s]*:)[^@\s]+@"), rf"\1{REDACTED}@"),
]


def redact(text: str) -> str:
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecretsFilter(logging.Filter):
    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
