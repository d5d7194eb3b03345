"""The cached inputs of the access rule never outlive a change (issue 13, ``servicecreds.decision_cache``).

Every test warms the cache with one request first, changes one thing, and checks the very
next request.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from servicecreds import access, authentication
from servicecreds.models import ServiceCredential
from tests.caldav.conftest import PASSWORD, request

CTAG_POLL = ('<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:" '
             'xmlns:cs="http://calendarserver.org/ns/"><d:prop><cs:getctag/></d:prop></d:propfind>')


def poll(client, dav, password=PASSWORD, resource=None):
    return request(client, "PROPFIND", dav.path(resource or dav.person), CTAG_POLL, depth="0", password=password)


@pytest.fixture
def warm(client, dav):
    assert poll(client, dav).status_code == 207
    return dav


# D1/C10: a new password is effective on the very next request
@pytest.mark.django_db
def test_new_password_effective_at_once(client, warm):
    cred = ServiceCredential.objects.get(pk=warm.credential.pk)
    cred.set_password("Ganz-Neues-Passwort-7")
    cred.save()
    assert poll(client, warm).status_code == 401
    assert poll(client, warm, password="Ganz-Neues-Passwort-7").status_code == 207


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["save", "update"])
def test_unconfirmed_credential_refused_at_once(client, warm, how):
    """Also when the row changes without a signal: the credential row is read on every request."""
    if how == "save":
        cred = ServiceCredential.objects.get(pk=warm.credential.pk)
        cred.confirmed = False
        cred.save()
    else:
        ServiceCredential.objects.filter(pk=warm.credential.pk).update(confirmed=False)
    assert poll(client, warm).status_code == 401


# seed 3: "gültig bis" is judged at request time, not cached as a decision
@pytest.mark.django_db
def test_expiry_is_judged_at_request_time(client, warm, monkeypatch):
    ServiceCredential.objects.filter(pk=warm.credential.pk).update(valid_until=timezone.localdate())
    assert poll(client, warm).status_code == 207
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    monkeypatch.setattr(access.timezone, "localdate", lambda: tomorrow)  # midnight passes, nothing is saved
    assert poll(client, warm).status_code == 401


@pytest.mark.django_db
def test_inactive_user_refused_at_once(client, warm):
    user = warm.employee.user
    user.is_active = False
    user.save()
    assert poll(client, warm).status_code == 401


@pytest.mark.django_db
def test_employee_unlinked_refused_at_once(client, warm):
    warm.employee.user = None
    warm.employee.save()
    assert poll(client, warm).status_code == 401


@pytest.mark.django_db
def test_resource_no_longer_synced_is_gone_at_once(client, warm):
    assert poll(client, warm, resource=warm.room).status_code == 207
    warm.room.sync_allowed = False
    warm.room.save()
    assert poll(client, warm, resource=warm.room).status_code == 404


@pytest.mark.django_db
def test_room_moved_to_another_branch_is_gone_at_once(client, warm):
    assert poll(client, warm, resource=warm.room).status_code == 207
    warm.room.branch = warm.other_room.branch
    warm.room.save()
    assert poll(client, warm, resource=warm.room).status_code == 404


def can_write() -> bool:
    return authentication.authenticate("anna-phone", PASSWORD).decision.can_write


@pytest.mark.django_db
def test_permissions_removed_and_granted_through_a_group(client, warm):
    user = warm.employee.user
    assert can_write()
    perms = list(user.user_permissions.all())
    user.user_permissions.clear()  # m2m_changed
    assert not can_write()
    group = Group.objects.create(name="Filialteam")
    user.groups.add(group)
    assert not can_write()
    group.permissions.set(Permission.objects.filter(pk__in=[p.pk for p in perms]))  # the group's m2m
    assert can_write()
    group.delete()
    assert not can_write()


@pytest.mark.django_db
def test_admin_login_does_not_invalidate(client, warm, django_assert_max_num_queries):
    """Saving ``last_login`` (every admin login) leaves the cached inputs valid."""
    user = warm.employee.user
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    with django_assert_max_num_queries(2):
        assert poll(client, warm).status_code == 207
