"""The least a calendar-multiget can cost on gunicorn and PostgreSQL: a WSGI app with no Django, no login,
no access rule and no XML parser, that reads the named objects in one prepared statement and joins their
responses as strings. ``multiget_bound.py`` runs it beside Terminsync and Radicale.

It is a measuring instrument, not a server: it answers any request on any path as a multiget of the
calendar ``BARE_SLUG`` in ``BARE_DATABASE_URL`` (the database ``make bench`` filled), takes the hrefs
with a regular expression (the bench's plain ``<uid>.ics`` names, nothing decoded) and escapes the texts
as Terminsync does (``&``, ``<``, ``>`` and CR) in the same markup, so that both send the same bytes
(``multiget_bound.py`` checks the ETags and texts).
"""

from __future__ import annotations

import os
import re
import threading

import psycopg

# The read Terminsync's multiget runs for a credential that receives the calendar complete
# (``selectors.object_rows``), with the names as one binary text[] parameter as there.
SQL = ("SELECT b.name, a.etag, a.ical FROM scheduler_booking b JOIN scheduler_appointment a ON b.appointment_id = a.id"
       " WHERE a.deleted_at IS NULL AND b.deleted_at IS NULL AND b.resource_id = %s AND b.name = ANY(%b::text[])")
_local = threading.local()  # one connection per gunicorn thread, kept open


def _connection() -> tuple[psycopg.Connection, int]:
    if not hasattr(_local, "conn"):
        conn = psycopg.connect(os.environ["BARE_DATABASE_URL"], autocommit=True, prepare_threshold=0)
        row = conn.execute("SELECT id FROM scheduler_resource WHERE slug = %s", (os.environ["BARE_SLUG"],)).fetchone()
        _local.conn, _local.resource = conn, row[0]
    return _local.conn, _local.resource


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def application(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    names = [m.decode() for m in re.findall(rb"<D:href>" + re.escape(path.encode()) + rb"([^<]+)</D:href>", body)]
    conn, resource = _connection()
    rows = conn.execute(SQL, (resource, names)).fetchall() if names else []
    parts = ["<?xml version='1.0' encoding='utf-8'?>\n<D:multistatus xmlns:D=\"DAV:\" "
             'xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CS="http://calendarserver.org/ns/" '
             'xmlns:ICAL="http://apple.com/ns/ical/">']
    parts += [f'<D:response><D:href>{path}{name}</D:href><D:propstat><D:prop><D:getetag>"{_escape(etag)}"'
              f"</D:getetag><C:calendar-data>{_escape(ical)}</C:calendar-data></D:prop>"
              "<D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>" for name, etag, ical in rows]
    parts.append("</D:multistatus>")
    out = "".join(parts).encode()
    start_response("207 Multi-Status", [("Content-Type", "application/xml; charset=utf-8"),
                                        ("Content-Length", str(len(out)))])
    return [out]
