"""Builders for the scope tests: two branches, their objects, and the logins the scope rule tells apart (A2, B1)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from branches.scope import manager_group
from scheduler.models import Appointment, Employee, Resource
from servicecreds.models import ServiceCredential
from tests import factories as f
from tests.caldav.conftest import Setup, build_setup, make_credential


@dataclass
class World:
    dav: Setup
    clara: Employee              # a Lübeck employee with her calendar and credential
    clara_person: Resource
    hl_cred: ServiceCredential
    hh_appts: list[Appointment]
    hl_appts: list[Appointment]

    @property
    def hh(self):
        return self.dav.branch

    @property
    def hl(self):
        return self.dav.other_room.branch

    def ids(self, objs) -> set[int]:
        return {o.pk for o in objs}


def build_world() -> World:
    dav = build_setup()
    hl = dav.other_room.branch
    clara = f.employee(hl, display_name="Clara Wolf")
    clara_person = f.resource(employee=clara, name="Clara Wolf")
    hl_cred = make_credential(clara.user, hl, username="clara-phone")
    hh_appts = [f.appointment([dav.person, dav.room], title="Sehtest Hamburg"),
                f.appointment([dav.other_person], title="Beratung Hamburg")]
    hl_appts = [f.appointment([dav.other_room], title="Hörtest Lübeck"),
                f.appointment([clara_person], title="Geheim Lübeck", notes="Kundendaten")]
    return World(dav, clara, clara_person, hl_cred, hh_appts, hl_appts)


def with_perms(user, *perms: str):
    """Add ``app_label.codename`` permissions; returns a fresh instance (the permission cache)."""
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return get_user_model().objects.get(pk=user.pk)


def branch_manager(*branches, username: str = "leitung-hh"):
    """A "Filialleiter": staff, in the group, manager of ``branches``."""
    user = f.user(username, perms=None, is_staff=True)
    user.groups.add(manager_group())
    for branch in branches:
        branch.managers.add(user)
    return get_user_model().objects.get(pk=user.pk)


def superuser():
    return get_user_model().objects.create_superuser("chef", "chef@example.com", "x")
