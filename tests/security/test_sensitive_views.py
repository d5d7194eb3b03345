"""Passwords posted to the two password views never appear in error reports (C10: never log secrets)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.views.debug import SafeExceptionReporterFilter

pytestmark = pytest.mark.django_db


def assert_hidden(resp) -> None:
    request = resp.wsgi_request
    assert request.sensitive_post_parameters == "__ALL__"
    cleansed = SafeExceptionReporterFilter().get_post_parameters(request)
    assert all(value == SafeExceptionReporterFilter.cleansed_substitute for value in cleansed.values())


def test_own_service_password_view_is_sensitive(client, dav):
    client.force_login(dav.employee.user)
    resp = client.post(f"/account/credentials/{dav.credential.pk}/password/",
                       {"current_password": "wrong", "password1": "Geheim-Neu-4711", "password2": "Geheim-Neu-4711"})
    assert resp.status_code == 200
    assert_hidden(resp)


def test_admin_set_password_view_is_sensitive(client, dav):
    client.force_login(get_user_model().objects.create_superuser("chef", "c@example.com", "x"))
    resp = client.post(f"/admin/servicecreds/servicecredential/{dav.credential.pk}/password/",
                       {"password1": "Geheim-Neu-4711", "password2": "anders"})
    assert resp.status_code == 200
    assert_hidden(resp)
