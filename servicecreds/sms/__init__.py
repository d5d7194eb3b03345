"""Sending SMS through a pluggable backend, the way ``django.core.mail`` sends e-mail (U3, U5).

``settings.SMS_BACKEND`` names a class with ``send_messages(messages) -> int``:

- ``servicecreds.sms.backends.console.SmsBackend``: prints to stdout (default with DEBUG),
- ``servicecreds.sms.backends.locmem.SmsBackend``: appends to ``servicecreds.sms.outbox`` (tests),
- ``servicecreds.sms.backends.http.SmsBackend``: POSTs to a generic HTTP gateway (production),
- ``servicecreds.sms.backends.disabled.SmsBackend``: SMS switched off (default without DEBUG).

Numbers are E.164 (``+4917112345678``), as ``Employee.mobile`` stores them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

outbox: list[SmsMessage] = []  # filled by the locmem backend, like django.core.mail.outbox


@dataclass(frozen=True)
class SmsMessage:
    to: str
    body: str
    sender: str = ""


class SmsError(Exception):
    """The gateway did not accept the message."""


def get_backend(path: str | None = None):
    return import_string(path or settings.SMS_BACKEND)()


def is_enabled() -> bool:
    """False when SMS is switched off (the admin's SMS button then says why)."""
    return getattr(get_backend(), "enabled", True)


def send_sms(to: str, body: str) -> int:
    """Send one SMS; returns the number sent (0 or 1). Raises ``SmsError`` when the gateway refuses."""
    message = SmsMessage(to=str(to), body=body, sender=getattr(settings, "SMS_SENDER", ""))
    return get_backend().send_messages([message])
