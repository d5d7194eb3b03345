"""The credential model: immutable username (C3), unique ignoring case, validity window (C4), hashes (C10)."""

import datetime as dt

import pytest
from django.contrib.auth.hashers import check_password, identify_hasher
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from servicecreds.models import ServiceCredential
from tests import factories as f

pytestmark = pytest.mark.django_db


def cred(username="anna-phone", **kw):
    emp = kw.pop("employee", None) or f.employee()
    return ServiceCredential.objects.create(username=username, user=emp.user, branch=emp.branch, **kw)


def test_username_cannot_change_after_first_save():
    c = cred()
    c.username = "renamed"
    with pytest.raises(ValidationError):
        c.full_clean()
    with pytest.raises(ValidationError):
        c.save()
    fresh = ServiceCredential.objects.get(pk=c.pk)
    assert fresh.username == "anna-phone"
    fresh.confirmed = True
    fresh.save()  # other fields stay editable


def test_username_unique_ignoring_case():
    cred("Anna-Phone")
    with pytest.raises(ValidationError):
        ServiceCredential(username="anna-phone", user=f.employee().user, branch=f.branch()).full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        cred("ANNA-PHONE")


def test_valid_from_not_after_until():
    c = ServiceCredential(username="x", user=f.employee().user, branch=f.branch(),
                          valid_from=dt.date(2026, 5, 1), valid_until=dt.date(2026, 4, 1))
    with pytest.raises(ValidationError) as exc:
        c.full_clean()
    assert "valid_until" in exc.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        c.save()


def test_confirmed_off_by_default_and_password_only_hashed():
    c = cred()
    assert c.confirmed is False and not c.has_password
    c.set_password("Sehr-Geheim-123")
    c.save()
    stored = ServiceCredential.objects.get(pk=c.pk).password
    assert "Sehr-Geheim-123" not in stored
    assert identify_hasher(stored).algorithm == "pbkdf2_sha256"  # Django's salted default hasher
    assert check_password("Sehr-Geheim-123", stored)
    assert c.check_password("Sehr-Geheim-123") and not c.check_password("falsch")
    other = cred("other", employee=f.employee())
    other.set_password("Sehr-Geheim-123")
    assert other.password != stored  # salted
