"""The "Test" button (U4): one real request through the endpoint, so green means the phone will work.

This module is the endpoint's public entry point for other apps (servicecreds'
admin, "Mein Konto" and the set-up page call ``test_connection``); everything
else in ``caldav_endpoint`` is internal.

The admin does not know the employee's password, so the probe enters the
endpoint right after password verification (``views.serve``) with the same
credential-level decision that ``authenticate`` would have produced; path
resolution, the access rule and the PROPFIND handler are the phone's own. The
request is a real WSGI request built from an environ, as a server builds it,
not a test-client fake.
"""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass, field

from django.core.handlers.wsgi import WSGIRequest
from django.utils.translation import gettext as _
from lxml import etree

from scheduler.models import Resource
from servicecreds import access, urls_for
from servicecreds.models import ServiceCredential

from . import views

PROBE_BODY = (b'<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:" '
              b'xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:resourcetype/><D:displayname/>'
              b'</D:prop></D:propfind>')


@dataclass
class ProbeResult:
    ok: bool
    code: str
    message: str
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"ok": self.ok, "code": self.code, "message": self.message, "warnings": self.warnings}


def legacy_warning(resource: Resource) -> str | None:
    """S3: a resource still linked to Google makes the phone show every appointment twice."""
    if not resource.legacy_calendar_id:
        return None
    return _("Die Ressource ist noch mit einem Google-Kalender verknüpft (ID „%(id)s“). Zwei "
             "Synchronisationen eines Kalenders erzeugen doppelte Termine: bitte den Google-Kalender "
             "entfernen und die Google-Synchronisation auf dem Telefon ausschalten.") % {
                 "id": resource.legacy_calendar_id}


def test_connection(credential: ServiceCredential, resource: Resource) -> ProbeResult:
    warnings = [w for w in [legacy_warning(resource)] if w]
    decision = access.credential_decision(credential)
    if not decision:
        return ProbeResult(False, decision.code, decision.message, warnings)
    path = urls_for.calendar_path(credential, resource)
    request = probe_request(path)
    response = views.serve(request, path, credential, decision)
    if response.status_code == 207 and _is_calendar(response.content):
        return ProbeResult(True, "ok", _("Verbindung erfolgreich: der Kalender „%(name)s“ kann "
                                         "synchronisiert werden.") % {"name": resource.name}, warnings)
    refusal = access.resource_decision(credential, resource)
    if refusal:  # the rule allows it, yet the request failed: report the HTTP status
        return ProbeResult(False, "http_error", _("Der Server antwortete mit Status %(status)s.") % {
            "status": response.status_code}, warnings)
    return ProbeResult(False, refusal.code, refusal.message, warnings)


def probe_request(path: str) -> WSGIRequest:
    """PROPFIND Depth 0 of ``path``, as a WSGI server would hand it to Django."""
    environ = {
        "REQUEST_METHOD": "PROPFIND", "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
        "CONTENT_TYPE": "application/xml", "CONTENT_LENGTH": str(len(PROBE_BODY)), "HTTP_DEPTH": "0",
        "HTTP_USER_AGENT": "Terminsync-Test", "SERVER_NAME": "localhost", "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1", "wsgi.input": io.BytesIO(PROBE_BODY),
        "wsgi.url_scheme": "https", "wsgi.version": (1, 0), "wsgi.errors": sys.stderr,
        "wsgi.multithread": True, "wsgi.multiprocess": True, "wsgi.run_once": False,
    }
    return WSGIRequest(environ)


def _is_calendar(body: bytes) -> bool:
    root = etree.fromstring(body)
    return root.find(".//{DAV:}resourcetype/{urn:ietf:params:xml:ns:caldav}calendar") is not None
