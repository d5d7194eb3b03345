"""The inputs of the access rule, cached per credential: a phone's request decides without querying them.

A phone authenticates on every request, and the rule (``access``) reads, besides the
credential row, its user (active? the write permissions: two queries), its employee, its
branch and the candidate resources with their branches and employees. Between two polls
none of that changes, so it is kept in Django's cache (shared by all workers with
``REDIS_URL``) as ``Inputs``.

What is *not* cached:

- the credential row. ``load`` reads it on every request, together with the access version,
  in one indexed query: a new password, "Bestätigt" unticked or a changed validity window
  take effect on the very next request, whichever path changed the row.
- the decision. ``access.credential_decision`` and ``access.resource_rule`` run on every
  request over the cached inputs (microseconds, no query), so the validity dates are judged
  at request time and the rule stays in ``access`` alone.
- a calendar's change counters (``sync_revision``, ``sync_floor``): every write moves them.
  They are deferred fields of the cached resources, read when a handler needs them (the
  ctag: one indexed read; a home listing: ``load_counters``, one query for all calendars).

The key holds the credential's pk, user and branch (so a changed assignment never meets
inputs built for another) and the access version, a token in ``AccessVersion`` that the
receivers below replace, in the transaction of the change, whenever a user, a group or
permission assignment, an employee, a resource or a branch is saved or deleted (connected in
``apps.py``). A new token makes every credential's next request rebuild its inputs (four
queries); such changes are admin actions, rare next to the polls. ``SCHEMA`` changes the
keys when the cached models change shape, so a shared cache survives a deploy.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import uuid
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db.models import Model, Subquery, Value
from django.db.models.functions import Lower
from django.db.models.signals import m2m_changed, post_delete, post_save

from branches.models import Branch
from scheduler import selectors
from scheduler.compiled_query import CompiledQuery, columns, int_placeholder, str_placeholder
from scheduler.models import Employee, Resource

from . import access, near_cache
from .models import AccessVersion, ServiceCredential

VERSION_ROW = 1
TTL = 3600  # seconds; entries of a replaced version are never read again and simply expire
COUNTERS = ("sync_revision", "sync_floor")  # moved by every write: never cached


@dataclass
class Inputs:
    """What the rule reads besides the credential row (built by ``_build``)."""

    user: object  # settings.AUTH_USER_MODEL, with its employee and its permissions loaded
    branch: Branch
    candidates: list[Resource]  # access.candidate_resources, counters deferred, in calendar order

    def copy(self) -> Inputs:
        """This request's own instances: handlers set the counters on the resources, and the shared
        original may serve another thread of the same worker (``near_cache``) at the same moment."""
        return Inputs(user=_clone(self.user), branch=_clone(self.branch),
                      candidates=[_clone(r) for r in self.candidates])


def _clone(instance: Model) -> Model:
    """What ``copy.copy`` makes of a model instance (``Model.__getstate__``: own field values, own
    state and relation cache, the related objects shared), without the detour through pickling
    support (``__reduce_ex__``), which made the copies a tenth of a warm request."""
    clone = instance.__class__.__new__(instance.__class__)
    clone.__dict__ = instance.__dict__.copy()
    clone._state = copy.copy(instance._state)
    clone._state.fields_cache = instance._state.fields_cache.copy()
    return clone


@functools.cache
def schema() -> str:
    """A digest of the cached models' columns: a deploy that changes them uses new keys."""
    names = [f"{m.__name__}:{','.join(f.attname for f in m._meta.concrete_fields)}"
             for m in (get_user_model(), Employee, Branch, Resource)]
    names.append(",".join(Inputs.__dataclass_fields__))
    return hashlib.sha256(";".join(names).encode()).hexdigest()[:12]


def _key(cred: ServiceCredential) -> str:
    return f"servicecreds:access:{schema()}:{cred.access_version}:{cred.pk}:{cred.user_id}:{cred.branch_id}"


def _credential_query(username: str, calendar: str | None = None, name: str | None = None):
    """The credential row and the access version, in one statement (compiled once per process); with
    ``calendar``, also that calendar's id and change counters (its slug is unique: one index lookup);
    with ``name`` too, that object of the calendar as a GET answers it (``selectors.read_ahead_columns``).

    ``Lower`` on both sides is the comparison of the unique constraint
    (``servicecred_username_ci_unique``), so the lookup uses its index.
    """
    version = AccessVersion.objects.filter(pk=VERSION_ROW).values("token")[:1]
    qs = (ServiceCredential.objects.alias(name_ci=Lower("username")).filter(name_ci=Lower(Value(username)))
          .annotate(access_version=Subquery(version)).order_by())
    if calendar is None:
        return qs.values_list(*_CREDENTIAL_COLUMNS, "access_version")[:1]
    named = Resource.objects.filter(slug=calendar).order_by()  # unique: no join for the default ordering
    qs = qs.annotate(**{f"calendar_{c}": Subquery(named.values(c)[:1]) for c in ("pk", *COUNTERS)})
    ahead = selectors.read_ahead_columns(calendar, name) if name is not None else {}
    qs = qs.annotate(**ahead)
    return qs.values_list(*_CREDENTIAL_COLUMNS, "access_version", "calendar_pk",
                          *[f"calendar_{c}" for c in COUNTERS], *ahead)[:1]


_CREDENTIAL_COLUMNS = columns(ServiceCredential)
_CREDENTIAL_ROW = CompiledQuery(_credential_query, username=str_placeholder("username"))
_CREDENTIAL_AND_COUNTERS = CompiledQuery(_credential_query, username=str_placeholder("username"),
                                         calendar=str_placeholder("calendar"))
_CREDENTIAL_AND_OBJECT = CompiledQuery(_credential_query, username=str_placeholder("username"),
                                       calendar=str_placeholder("calendar"), name=str_placeholder("name"))


def credential_row(username: str, alias: str = "default", calendar: str | None = None,
                   name: str | None = None) -> ServiceCredential | None:
    """The credential named ``username`` (case-insensitively) as stored now, with ``access_version`` set;
    with ``calendar`` (a slug), ``calendar_counters`` too: (id, *COUNTERS), or None for no such calendar;
    with ``name`` too, ``read_ahead``: that object (``selectors.ReadAhead``), else ``read_ahead`` is None."""
    if calendar is None:
        rows = _CREDENTIAL_ROW.rows(alias, username=username)
    elif name is None:
        rows = _CREDENTIAL_AND_COUNTERS.rows(alias, username=username, calendar=calendar)
    else:
        rows = _CREDENTIAL_AND_OBJECT.rows(alias, username=username, calendar=calendar, name=name)
    if not rows:
        return None
    width = len(_CREDENTIAL_COLUMNS)
    cred = ServiceCredential.from_db(alias, _CREDENTIAL_COLUMNS, rows[0][:width])
    cred.access_version = rows[0][width]
    counters = tuple(rows[0][width + 1:width + 2 + len(COUNTERS)])
    cred.calendar_counters = counters if counters and counters[0] is not None else None
    cred.read_ahead = None
    if name is not None:
        ahead = rows[0][width + 2 + len(COUNTERS):]
        cred.read_ahead = selectors.read_ahead(counters[0], name, ahead)
    return cred


def load(username: str, calendar: str | None = None, name: str | None = None) -> ServiceCredential | None:
    """The credential named ``username``, fresh, with the rule's other inputs attached from the cache.

    One query when the inputs are cached (the row and the access version); five when not.
    ``calendar``: the slug the request's path names, read ahead of resolution: its change counters
    come with the row and are set on that candidate, so a ctag poll is one query in all. ``name``:
    the object a GET names in it, read ahead the same way (``credential_row``), so a GET is one query
    too. Whether the credential may see the calendar, and how, is still decided by resolution and
    the rule.
    """
    cred = credential_row(username, calendar=calendar, name=name)
    if cred is None:
        return None
    key = _key(cred)
    inputs = near_cache.inputs.get(key)
    if inputs is None:
        inputs = cache.get(key)
        if inputs is None:
            inputs = _build(cred)
            cache.set(key, inputs, TTL)
        near_cache.inputs.set(key, inputs, TTL)
    inputs = inputs.copy()
    cred.user, cred.branch = inputs.user, inputs.branch
    cred.access_inputs = inputs
    if cred.calendar_counters is not None:
        pk, *counters = cred.calendar_counters
        for resource in inputs.candidates:
            if resource.pk == pk:
                for name, value in zip(COUNTERS, counters, strict=True):
                    setattr(resource, name, value)
    return cred


def _build(cred: ServiceCredential) -> Inputs:
    full = ServiceCredential.objects.select_related("user", "user__employee", "branch").get(pk=cred.pk)
    user = full.user
    user.get_all_permissions()  # ModelBackend keeps them on the user object: has_perms needs no query then
    candidates = sorted(access.candidate_resources(full).defer(*COUNTERS), key=access.calendar_sort_key)
    return Inputs(user=user, branch=full.branch, candidates=candidates)


def visible_resources(cred: ServiceCredential, decision: access.Decision | None = None) -> list[Resource]:
    """``access.visible_resources`` over the cached candidates (no query) for a credential from ``load``."""
    inputs = getattr(cred, "access_inputs", None)
    if inputs is None:  # not loaded here (the Test button, scripts): ask the database
        return access.visible_resources(cred, decision=decision)
    return access.visible_resources(cred, candidates=inputs.candidates, decision=decision)


_COUNTERS_ROW = CompiledQuery(lambda pk: Resource.objects.filter(pk=pk).order_by().values_list(*COUNTERS),
                              pk=int_placeholder(0))  # what a ctag poll reads


def load_counters(resources: list[Resource], alias: str = "default") -> None:
    """Fill the deferred change counters of these resources in one query (the ctag, a home listing's ctags)."""
    missing = [r for r in resources if COUNTERS[0] in r.get_deferred_fields()]
    if not missing:
        return
    if len(missing) == 1:
        found = _COUNTERS_ROW.rows(alias, pk=missing[0].pk)
        rows = {missing[0].pk: found[0] if found else (0, 0)}
    else:
        rows = {pk: rest for pk, *rest in Resource.objects.using(alias).filter(pk__in=[r.pk for r in missing])
                .order_by().values_list("pk", *COUNTERS)}
    for resource in missing:
        for name, value in zip(COUNTERS, rows.get(resource.pk, (0, 0)), strict=True):
            setattr(resource, name, value)


# --- invalidation ---------------------------------------------------------------------------------


def bump(**kwargs: object) -> None:
    """Replace the access version: every credential's next request rebuilds its inputs."""
    token = uuid.uuid4().hex
    if not AccessVersion.objects.filter(pk=VERSION_ROW).update(token=token):
        AccessVersion.objects.update_or_create(pk=VERSION_ROW, defaults={"token": token})


def _user_saved(sender: type, update_fields: frozenset[str] | None = None, **kwargs: object) -> None:
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # every admin login saves last_login; the rule does not read it
    bump()


def _m2m_changed(sender: type, action: str, **kwargs: object) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        bump()


def connect() -> None:
    """Called from ``ServicecredsConfig.ready``."""
    user_model = get_user_model()
    post_save.connect(_user_saved, sender=user_model, dispatch_uid="decision_cache:user")
    post_delete.connect(bump, sender=user_model, dispatch_uid="decision_cache:user-delete")
    # the credential itself needs no receiver: ``load`` reads its row on every request, and the key
    # holds its user and branch
    for model in (Employee, Resource, Branch, Group, Permission):
        post_save.connect(bump, sender=model, dispatch_uid=f"decision_cache:{model.__name__}")
        post_delete.connect(bump, sender=model, dispatch_uid=f"decision_cache:{model.__name__}-delete")
    for through in (user_model.groups.through, user_model.user_permissions.through, Group.permissions.through):
        m2m_changed.connect(_m2m_changed, sender=through, dispatch_uid=f"decision_cache:{through.__name__}")
