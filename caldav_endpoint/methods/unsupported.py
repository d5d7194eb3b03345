"""Methods we refuse on purpose, with a clear status: calendars are resources made in the scheduler."""

from __future__ import annotations

from django.http import HttpResponse

from ..context import DavContext
from ..davxml import CALDAV, DAV
from ..errors import DavError
from .options import ALLOW


def mkcalendar(ctx: DavContext) -> HttpResponse:
    raise DavError(403, (CALDAV, "calendar-collection-location-ok"),
                   "Kalender werden als Ressourcen im Terminplaner angelegt.")


def mkcol(ctx: DavContext) -> HttpResponse:
    raise DavError(403, (DAV, "resource-must-be-null"),
                   "Sammlungen werden im Terminplaner angelegt.")


def move_copy(ctx: DavContext) -> HttpResponse:
    raise DavError(403, message="MOVE und COPY werden nicht unterstützt; Termine per PUT/DELETE ändern.")


def lock(ctx: DavContext) -> HttpResponse:
    raise DavError(405, message="LOCK wird nicht unterstützt (DAV-Klasse 2 nicht angeboten).",
                   headers={"Allow": ALLOW})
