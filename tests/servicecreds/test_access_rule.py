"""The access rule as a table: every credential state × every resource state (D3, S2, S4, S5, seed 3.e/3.i)."""

import datetime as dt

import pytest
from django.utils import timezone

from scheduler.models import Resource
from servicecreds import access
from servicecreds.models import ServiceCredential
from tests import factories as f

pytestmark = pytest.mark.django_db

CREDENTIAL_STATES = {
    "ok": None,
    "no_password": lambda c, u, e: setattr(c, "password", ""),
    "not_confirmed": lambda c, u, e: setattr(c, "confirmed", False),
    "not_yet_valid": lambda c, u, e: setattr(c, "valid_from", timezone.localdate() + dt.timedelta(days=2)),
    "expired": lambda c, u, e: setattr(c, "valid_until", timezone.localdate() - dt.timedelta(days=1)),
    "wrong_service_class": lambda c, u, e: setattr(c, "service_class", "sms"),
    "user_inactive": lambda c, u, e: setattr(u, "is_active", False),
    "no_employee": lambda c, u, e: setattr(e, "user", None),
}

RESOURCE_STATES = {
    # name: (builder, expected code when the credential itself is fine)
    "own_person": (lambda b, emp, other_b: f.resource(employee=emp), "ok"),
    "branch_room": (lambda b, emp, other_b: f.room(b), "ok"),
    "sync_not_allowed": (lambda b, emp, other_b: f.room(b, sync=False), "sync_not_allowed"),
    "inactive": (lambda b, emp, other_b: f.room(b, active=False), "resource_inactive"),
    "person_without_employee": (lambda b, emp, other_b: f.resource(b, employee=None), "person_without_employee"),
    "other_employee": (lambda b, emp, other_b: f.resource(employee=f.employee(b)), "other_employee"),
    "room_of_other_branch": (lambda b, emp, other_b: f.room(other_b), "other_branch"),
    "own_person_other_branch": (lambda b, emp, other_b: f.resource(other_b, employee=emp), "ok"),
}


@pytest.mark.parametrize("cred_state", CREDENTIAL_STATES)
@pytest.mark.parametrize("res_state", RESOURCE_STATES)
def test_access_table(cred_state, res_state):
    branch, other_branch = f.branch(), f.branch()
    emp = f.employee(branch)
    user = emp.user
    cred = ServiceCredential(username=f"u-{cred_state}-{res_state}", user=user, branch=branch, confirmed=True,
                             password="pbkdf2_sha256$1$x$y")
    build, expected_for_ok = RESOURCE_STATES[res_state]
    resource = build(branch, emp, other_branch)
    if CREDENTIAL_STATES[cred_state]:
        CREDENTIAL_STATES[cred_state](cred, user, emp)
        user.save()
        emp.save()
    cred.save()
    cred = ServiceCredential.objects.select_related("user").get(pk=cred.pk)
    expected = cred_state if cred_state != "ok" else expected_for_ok

    decision = access.resource_decision(cred, resource)
    assert decision.code == expected
    assert decision.allowed == (expected == "ok")
    assert decision.message  # every refusal has a sentence for the admin
    # visible_resources agrees with resource_decision for every resource
    assert (resource in access.visible_resources(cred)) == decision.allowed


def test_write_access_follows_django_permissions():
    emp = f.employee()
    room = f.room(emp.branch)
    cred = ServiceCredential.objects.create(username="w", user=emp.user, branch=emp.branch, confirmed=True,
                                            password="pbkdf2_sha256$1$x$y")
    assert access.resource_decision(cred, room).can_write
    emp.user.user_permissions.clear()
    cred = ServiceCredential.objects.get(pk=cred.pk)
    decision = access.resource_decision(cred, room)
    assert decision.allowed and not decision.can_write  # a technical room user can be read-only


def test_reason_sentences_are_translated():
    from django.utils import translation

    with translation.override("en"):
        assert access.refuse("sync_not_allowed").message.startswith("The resource is not enabled")
    with translation.override("de"):
        assert "Administration des Terminplaners" in access.refuse("sync_not_allowed").message


def test_kinds_are_person_and_location():
    assert {k for k, _ in Resource.Kind.choices} == {"person", "location"}
