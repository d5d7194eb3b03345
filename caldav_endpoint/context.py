"""What a request path is for an authenticated credential (root, principal, home, calendar, object).

Resolution applies the access rule (``servicecreds.access``): a calendar the
credential may not see resolves to 404 exactly like one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import unquote

from django.http import HttpRequest

from scheduler.models import Resource
from servicecreds import access, urls_for
from servicecreds.models import ServiceCredential

from .errors import DavError

ROOT, PRINCIPAL, HOME, CALENDAR, OBJECT = "root", "principal", "home", "calendar", "object"
COLLECTIONS = {ROOT, PRINCIPAL, HOME, CALENDAR}


@dataclass
class Target:
    kind: str
    path: str
    resource: Resource | None = None
    name: str | None = None
    decision: access.Decision | None = None
    obj: object | None = None  # store.CalendarObject, filled by handlers that list objects

    @property
    def is_collection(self) -> bool:
        return self.kind in COLLECTIONS

    def require_write(self) -> None:
        """RFC 3744 §7.1.1: a read-only credential (seed 3.f note) gets need-privileges."""
        if not (self.decision and self.decision.can_write):
            from .davxml import DAV

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
        return self.calendar_path(resource) + name

    @cached_property
    def preferences(self) -> dict:
        """Per-credential display settings of calendars (PROPPATCH), one query per request."""
        from .models import CalendarPreference

        return {p.resource_id: p for p in CalendarPreference.objects.filter(credential=self.credential)}

    def calendar_target(self, resource: Resource, decision: access.Decision) -> Target:
        return Target(CALENDAR, self.calendar_path(resource), resource=resource, decision=decision)


def resolve(path: str, credential: ServiceCredential) -> Target:
    """Map a request path to a Target, or raise 404 for anything this credential cannot see."""
    segments = [unquote(s) for s in path.strip("/").split("/") if s]
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
    resource = Resource.objects.select_related("branch", "employee").filter(slug=rest[1]).first()
    decision = access.resource_decision(credential, resource) if resource else None
    if not decision:
        raise DavError(404, message="not found")
    if len(rest) == 2:
        return Target(CALENDAR, urls_for.calendar_path(credential, resource), resource=resource,
                      decision=decision)
    if len(rest) == 3:
        return Target(OBJECT, urls_for.calendar_path(credential, resource) + rest[2], resource=resource,
                      name=rest[2], decision=decision)
    raise DavError(404, message="not found")
