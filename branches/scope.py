"""Who administers which branch (B1, A2): the one scope rule, and how every door applies it.

``administered_branches(user)`` is the rule: a superuser administers every branch, a branch
manager ("Filialleiter", ``Branch.managers``) the branches they manage, everybody else none.
Nothing else re-derives it. The REST API filters its querysets and the choices of its related
fields with ``scoped``; the admin does the same through ``BranchScopedAdmin``.

An object belongs to the branch named by its lookup path in ``BRANCH_PATHS`` (an appointment
by its own branch, a change-log row by its resource's branch, a login by its employee's).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.auth.models import Group, Permission
from django.db.models import Manager, Model, Q, QuerySet

from .models import Branch

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    User = AbstractBaseUser | AnonymousUser

USE_API = "branches.use_api"
MANAGER_GROUP = "Filialleiter"
# What a branch manager needs in the admin; the objects themselves are limited by the scope.
# (The data migration branches/0004 holds a frozen copy of this list.)
MANAGER_PERMISSIONS = [
    *(f"scheduler.{action}_{model}" for model in ("appointment", "resource", "employee")
      for action in ("view", "add", "change", "delete")),
    *(f"servicecreds.{action}_servicecredential" for action in ("view", "add", "change", "delete")),
    "scheduler.view_change", "branches.view_branch", USE_API,
]

BRANCH_PATHS: dict[str, str] = {
    "branches.branch": "pk",
    "scheduler.employee": "branch",
    "scheduler.resource": "branch",
    "scheduler.appointment": "branch",
    "scheduler.appointmenttype": "branch",
    "scheduler.change": "resource__branch",
    "servicecreds.servicecredential": "branch",
    settings.AUTH_USER_MODEL.lower(): "employee__branch",
}


def _sees_all(user: User | None) -> bool:
    return bool(user is not None and user.is_active and user.is_superuser)


def administered_branches(user: User | None) -> QuerySet[Branch]:
    """The branches ``user`` administers: all for a superuser, the managed ones for a manager."""
    if user is None or not user.is_active:  # AnonymousUser is never active
        return Branch.objects.none()
    if user.is_superuser:
        return Branch.objects.all()
    return Branch.objects.filter(managers=user)


def can_administer(user: User | None, branch: Branch | int) -> bool:
    branch_id = branch.pk if isinstance(branch, Branch) else branch
    return _sees_all(user) or administered_branches(user).filter(pk=branch_id).exists()


def scoped(qs: QuerySet, user: User | None, path: str | None = None) -> QuerySet:
    """``qs`` limited to the objects of the branches ``user`` administers.

    ``path`` is the lookup from the model to its branch; by default ``BRANCH_PATHS`` says it.
    """
    if _sees_all(user):
        return qs
    path = path or BRANCH_PATHS[qs.model._meta.label_lower]
    return qs.filter(**{f"{path}__in": administered_branches(user)})


def scope_appointments(qs: QuerySet, user: User | None) -> QuerySet:
    return scoped(qs, user, BRANCH_PATHS["scheduler.appointment"])


def scope_resources(qs: QuerySet, user: User | None) -> QuerySet:
    return scoped(qs, user, BRANCH_PATHS["scheduler.resource"])


def scope_employees(qs: QuerySet, user: User | None) -> QuerySet:
    return scoped(qs, user, BRANCH_PATHS["scheduler.employee"])


def scope_credentials(qs: QuerySet, user: User | None) -> QuerySet:
    return scoped(qs, user, BRANCH_PATHS["servicecreds.servicecredential"])


def scope_users(qs: QuerySet, user: User | None) -> QuerySet:
    """Login accounts of the employees of the administered branches (for "Benutzerkonto" choices)."""
    return scoped(qs, user, BRANCH_PATHS[settings.AUTH_USER_MODEL.lower()])


def in_scope(user: User | None, obj: Model, path: str | None = None) -> bool:
    """Does ``obj`` belong to a branch ``user`` administers? (An unsaved object is not checked here.)"""
    if _sees_all(user) or obj.pk is None:
        return True
    return scoped(type(obj)._default_manager.filter(pk=obj.pk), user, path).exists()


def limit_choices(fields: Iterable, user: User | None) -> None:
    """Limit every model-choice field (form or serializer) over a scoped model to the user's branches.

    Works on Django form fields and DRF related fields alike (both have ``queryset``); a
    serializer's ``many=True`` field is reached through its ``child_relation``.
    """
    if _sees_all(user):
        return
    for field in fields:
        field = getattr(field, "child_relation", field)
        qs = getattr(field, "queryset", None)
        if isinstance(qs, Manager):  # a ModelSerializer's field holds the model's default manager
            qs = qs.all()
        if isinstance(qs, QuerySet) and qs.model._meta.label_lower in BRANCH_PATHS:
            field.queryset = scoped(qs, user)


def manager_group() -> Group:
    """The group "Filialleiter" (created by migration branches/0004); recreated if it was deleted."""
    group, created = Group.objects.get_or_create(name=MANAGER_GROUP)
    if created:
        wanted = Q()
        for perm in MANAGER_PERMISSIONS:
            app_label, codename = perm.split(".")
            wanted |= Q(content_type__app_label=app_label, codename=codename)
        group.permissions.set(Permission.objects.filter(wanted))
    return group


class BranchScopedAdmin:
    """ModelAdmin mixin (B1): lists, change pages, form choices and filters only of the user's branches.

    ``branch_field`` is the lookup path from the model to its branch (``"pk"`` for branches
    themselves). A superuser sees everything. An object out of scope does not exist for the
    admin: its change URL redirects to the index like a deleted object, extra views give 404.
    """

    branch_field = "branch"

    def get_queryset(self, request):
        return scoped(super().get_queryset(request), request.user, self.branch_field)

    def _in_scope(self, request, obj) -> bool:
        return obj is None or in_scope(request.user, obj, self.branch_field)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self._in_scope(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._in_scope(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._in_scope(request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if _sees_all(request.user):
            return form
        user = request.user

        class ScopedForm(form):
            def __init__(self, *args, **kw):
                super().__init__(*args, **kw)
                limit_choices(self.fields.values(), user)

        ScopedForm.__name__ = ScopedForm.__qualname__ = form.__name__
        return ScopedForm

    def get_list_filter(self, request):
        """Relation filters list only the values that occur in the user's objects."""
        filters = super().get_list_filter(request)
        if _sees_all(request.user):
            return filters
        return [(item, admin.RelatedOnlyFieldListFilter)
                if isinstance(item, str) and get_fields_from_path(self.model, item)[-1].is_relation else item
                for item in filters]

    def get_autocomplete_fields(self, request):
        """Autocomplete asks the related model's admin (e.g. all users); a manager gets a scoped select."""
        return super().get_autocomplete_fields(request) if _sees_all(request.user) else []
