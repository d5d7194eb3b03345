"""What a request path is for an authenticated credential (root, principal, home, calendar, object).

Resolution applies the access rule (``servicecreds.access``): a calendar the
credential may not see resolves to 404 exactly like one that does not exist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import quote, unquote, unquote_to_bytes, urlsplit

from django.http import HttpRequest
from django.utils.encoding import repercent_broken_unicode

from scheduler.models import Resource
from scheduler.selectors import CalendarObject
from servicecreds import access, decision_cache, urls_for
from servicecreds.models import ServiceCredential

from .errors import DavError
from .models import CalendarPreference
from .namespaces import DAV

ROOT, PRINCIPAL, HOME, CALENDAR, OBJECT = "root", "principal", "home", "calendar", "object"
COLLECTIONS = {ROOT, PRINCIPAL, HOME, CALENDAR}


@dataclass
class Target:
    kind: str
    path: str
    resource: Resource | None = None
    name: str | None = None
    decision: access.Decision | None = None
    obj: CalendarObject | None = None  # filled by handlers that list objects

    @property
    def is_collection(self) -> bool:
        return self.kind in COLLECTIONS

    def require_write(self) -> None:
        """RFC 3744 §7.1.1: a read-only credential (seed 3.f note) gets need-privileges."""
        if not (self.decision and self.decision.can_write):
            raise DavError(403, (DAV, "need-privileges"), "read-only access")


@dataclass
class DavContext:
    request: HttpRequest
    credential: ServiceCredential
    decision: access.Decision
    target: Target
    extra: dict = field(default_factory=dict)

    @property
    def depth(self) -> str:
        return self.request.META.get("HTTP_DEPTH", "1" if self.target.is_collection else "0").strip().lower()

    @property
    def minimal(self) -> bool:
        """RFC 7240 ``Prefer: return=minimal`` or Microsoft's ``Brief: t``: drop 404 propstats."""
        prefer = self.request.META.get("HTTP_PREFER", "").replace(" ", "").lower()
        return "return=minimal" in prefer or self.request.META.get("HTTP_BRIEF", "").lower() == "t"

    def principal_path(self) -> str:
        return urls_for.principal_path(self.credential)

    def home_path(self) -> str:
        return urls_for.home_path(self.credential)

    def calendar_path(self, resource: Resource) -> str:
        return urls_for.calendar_path(self.credential, resource)

    def object_path(self, resource: Resource, name: str) -> str:
        """The href of an object, percent-encoded (``urls_for.object_path``)."""
        return urls_for.object_path(self.credential, resource, name)

    @cached_property
    def preferences(self) -> dict[int, CalendarPreference]:
        """Per-credential display settings of calendars (PROPPATCH), one query per request."""
        return {p.resource_id: p for p in CalendarPreference.objects.filter(credential=self.credential)}

    @cached_property
    def calendars(self) -> list[Resource]:
        """The credential's calendars in listing order (own calendar first), once per request.

        From the cached inputs of the rule (``decision_cache``); their change counters (ctag,
        sync token) are read fresh, one query for all of them.
        """
        calendars = decision_cache.visible_resources(self.credential, self.decision)
        decision_cache.load_counters(calendars)
        return calendars

    def calendar_target(self, resource: Resource, decision: access.Decision) -> Target:
        return Target(CALENDAR, self.calendar_path(resource), resource=resource, decision=decision)


MAX_NAME = 255  # Booking.name


def request_path(request: HttpRequest) -> str:
    """The request path as the client sent it, still percent-encoded.

    The WSGI server has already decoded PATH_INFO once (so ``request.path`` holds
    ``/`` where the client wrote ``%2F``, and decoding it again would turn
    ``%252e%252e`` into ``..``). gunicorn passes the undecoded target as RAW_URI,
    uWSGI and mod_wsgi as REQUEST_URI; it is used when it decodes to
    ``request.path``. Otherwise ``request.path`` is encoded again, so that
    ``resolve`` decodes it back exactly once. (Only the raw form can tell a ``%2F``
    from a ``/``, or broken UTF-8 from a name with "%FF" in it: Django re-encodes
    such bytes in ``request.path``.)
    """
    for key in ("RAW_URI", "REQUEST_URI"):
        raw = request.META.get(key)
        if raw:
            path = urlsplit(raw).path
            if repercent_broken_unicode(unquote_to_bytes(path)).decode() == request.path:
                return path
    return quote(request.path, safe="/")


# Unicode category Cc, exactly: C0, DEL and C1 (one regex instead of a category lookup per character).
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def path_segments(path: str) -> list[str]:
    """Split a percent-encoded path on "/" first, then decode each segment exactly once.

    A ``%2F`` therefore stays inside its segment (and is refused in an object name).
    """
    try:
        segments = [unquote(s, errors="strict") for s in path.split("/") if s]
    except UnicodeDecodeError:
        raise DavError(400, message="the request path is not valid UTF-8") from None
    for segment in segments:
        if CONTROL.search(segment):
            raise DavError(400, message="control characters are not allowed in a path")
    return segments


def object_name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a calendar object, or None if it can."""
    if name in (".", ".."):
        return f"{name!r} is not an object name"
    if "/" in name or "\\" in name:
        return "an object name cannot contain / or \\"
    if CONTROL.search(name):
        return "an object name cannot contain control characters"
    if len(name) > MAX_NAME:
        return f"an object name has at most {MAX_NAME} characters"
    return None


def calendar_slug(path: str) -> str | None:
    """The calendar a collection path names (``/caldav/<user>/<calendar>/``), read ahead of resolution so
    that authentication fetches its ctag in the same statement (``decision_cache.load``). Only a hint:
    ``resolve`` still decides whether the credential sees that calendar."""
    segments = path.strip("/").split("/")
    return segments[2] if len(segments) == 3 and segments[0] == "caldav" and segments[2] else None


def read_ahead_hint(path: str, method: str) -> tuple[str | None, str | None]:
    """(calendar slug, object name) to read with the login's statement: the calendar of a collection path
    (``calendar_slug``), and for a GET or HEAD of an object (``/caldav/<user>/<calendar>/<name>``) that
    object too, its name decoded as ``resolve`` decodes it. A name ``resolve`` would refuse is not read."""
    if method not in ("GET", "HEAD"):
        return calendar_slug(path), None
    raw = path.strip("/").split("/")
    if len(raw) != 4 or raw[0] != "caldav" or not raw[2]:
        return calendar_slug(path), None
    try:
        name = path_segments(raw[3])[0]
    except (DavError, IndexError):
        return None, None
    return (raw[2], name) if object_name_problem(name) is None else (None, None)


def resolve(path: str, credential: ServiceCredential, decision: access.Decision | None = None) -> Target:
    """Map a request path (percent-encoded, see ``request_path``) to a Target.

    ``decision``: the credential's own decision as authentication made it (allowed); a calendar
    the rule lets it see has that decision too, so the rule is not run again for it.

    Raises 404 for anything this credential cannot see, 400 for a malformed path or
    an object name that cannot be stored (nothing is looked up or written then).
    """
    segments = path_segments(path)
    if not segments or segments == ["caldav"] or segments == ["principals"]:
        return Target(ROOT, "/" + "/".join(segments) + ("/" if segments else ""))
    head, rest = segments[0], segments[1:]
    if head not in ("caldav", "principals") or rest[0].lower() != credential.username.lower():
        raise DavError(404, message="not found")
    if head == "principals":
        if len(rest) != 1:
            raise DavError(404, message="not found")
        return Target(PRINCIPAL, urls_for.principal_path(credential))
    if len(rest) == 1:
        return Target(HOME, urls_for.home_path(credential))
    # the calendars this credential sees (cached inputs, the rule applied now): anything else is 404
    visible = decision_cache.visible_resources(credential, decision)
    resource = next((r for r in visible if r.slug == rest[1]), None)
    if resource is not None and decision is None:
        decision = access.resource_decision(credential, resource)
    if resource is None or not decision:
        raise DavError(404, message="not found")
    if len(rest) == 2:  # its ctag and sync token are read when asked for (``sync.current_revision``)
        return Target(CALENDAR, urls_for.calendar_path(credential, resource), resource=resource,
                      decision=decision)
    if len(rest) == 3:
        problem = object_name_problem(rest[2])
        if problem:
            raise DavError(400, message=problem)
        return Target(OBJECT, urls_for.object_path(credential, resource, rest[2]), resource=resource,
                      name=rest[2], decision=decision)
    raise DavError(404, message="not found")
