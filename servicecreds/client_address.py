"""The address a request came from, as the throttle and the logs should see it.

Behind a reverse proxy every request has the proxy's ``REMOTE_ADDR``; the real
client is in a header the proxy sets. Such a header is only trustworthy when a
proxy we run always sets it, so it is read only when ``TRUSTED_PROXY_HEADER``
names it (e.g. ``HTTP_X_FORWARDED_FOR``); by default ``REMOTE_ADDR`` is used.

Of ``X-Forwarded-For: a, b, c`` only the right-most entry was written by our
proxy (nginx's ``$proxy_add_x_forwarded_for`` appends the peer it saw); the
entries to its left come from the client and can be forged to dodge the
throttle. With a chain of proxies, let the outermost one set a single-valued
header (``X-Real-IP``) and name that one instead.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    header = getattr(settings, "TRUSTED_PROXY_HEADER", "")
    if not header:
        return remote
    entries = [e.strip() for e in request.META.get(header, "").split(",") if e.strip()]
    if not entries:
        return remote
    try:
        return str(ipaddress.ip_address(entries[-1]))
    except ValueError:  # "unknown", garbage: not an address a throttle can key on
        return remote
