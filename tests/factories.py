"""Small builders for tests (instead of large fixtures)."""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from branches.models import Branch
from scheduler import services
from scheduler.models import Employee, Resource

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
_seq = itertools.count(1)

WRITE_PERMS = ["add_appointment", "change_appointment", "delete_appointment", "view_appointment"]


def branch(code: str | None = None, **kw) -> Branch:
    code = code or f"b{next(_seq)}"
    return Branch.objects.create(code=code, name=kw.pop("name", f"Filiale {code}"), **kw)


def user(username: str | None = None, *, password: str = "pw-Geheim-123", perms=WRITE_PERMS, **kw):
    username = username or f"user{next(_seq)}"
    u = get_user_model().objects.create_user(username=username, password=password, **kw)
    if perms:
        u.user_permissions.set(Permission.objects.filter(content_type__app_label="scheduler", codename__in=perms))
    return u


def default_branch() -> Branch:
    """The branch builders use when none is given: rooms and people of one test share it (S6 rule)."""
    return Branch.objects.get_or_create(code="default", defaults={"name": "Filiale Standard"})[0]


def employee(br: Branch | None = None, *, with_user: bool = True, **kw) -> Employee:
    br = br or default_branch()
    n = next(_seq)
    return Employee.objects.create(
        display_name=kw.pop("display_name", f"Mitarbeiter {n}"), branch=br,
        user=kw.pop("user", None) or (user() if with_user else None), **kw)


def resource(br: Branch | None = None, *, kind=Resource.Kind.PERSON, employee=None, sync=True, **kw) -> Resource:
    br = br or (employee.branch if employee else default_branch())
    r = Resource(name=kw.pop("name", f"Ressource {next(_seq)}"), branch=br, kind=kind, employee=employee,
                 sync_allowed=sync, **kw)
    r.save()
    return r


def room(br: Branch | None = None, **kw) -> Resource:
    return resource(br, kind=Resource.Kind.LOCATION, **kw)


def appointment(resources, *, start: dt.datetime | None = None, minutes: int = 60, **kw):
    resources = list(resources)
    start = start or dt.datetime(2026, 11, 24, 10, 0, tzinfo=BERLIN)
    kw.setdefault("title", "Sehtest")
    kw.setdefault("timezone", "Europe/Berlin")
    return services.create_appointment(
        branch=kw.pop("branch", resources[0].branch), resources=resources, start=start,
        end=kw.pop("end", start + dt.timedelta(minutes=minutes)), **kw)
