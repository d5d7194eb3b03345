"""A generic HTTP SMS gateway: one JSON POST per message.

Settings (environment variables of the same name, see config/settings.py):

- ``SMS_GATEWAY_URL``: the gateway's send endpoint (https),
- ``SMS_GATEWAY_TOKEN``: sent as ``Authorization: Bearer <token>``,
- ``SMS_SENDER``: the sender name or number (``from``).

Body: ``{"to": "+4917112345678", "from": "Terminsync", "text": "..."}``. Any 2xx answer counts as
sent. A gateway that wants other field names is a subclass overriding ``payload()``/``headers()``.
The standard library's ``urllib`` is enough for one POST; no extra dependency.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .. import SmsError
from .base import BaseSmsBackend

log = logging.getLogger("terminsync.sms")
TIMEOUT = 10  # seconds


class SmsBackend(BaseSmsBackend):
    def __init__(self, url: str | None = None, token: str | None = None):
        self.url = url or settings.SMS_GATEWAY_URL
        self.token = token if token is not None else settings.SMS_GATEWAY_TOKEN
        if not self.url:
            raise ImproperlyConfigured("SMS_GATEWAY_URL must be set for the HTTP SMS backend.")

    def payload(self, message) -> dict:
        return {"to": message.to, "from": message.sender, "text": message.body}

    def headers(self) -> dict:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def send_messages(self, messages) -> int:
        sent = 0
        for message in messages:
            data = json.dumps(self.payload(message)).encode()
            request = urllib.request.Request(self.url, data=data, headers=self.headers(), method="POST")
            try:
                with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 (configured URL)
                    status = response.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            except (urllib.error.URLError, TimeoutError) as exc:
                raise SmsError(f"SMS gateway unreachable: {exc.__class__.__name__}") from None
            if not 200 <= status < 300:
                raise SmsError(f"SMS gateway answered {status}")
            sent += 1
        return sent
