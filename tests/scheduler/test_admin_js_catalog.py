"""The resource picker (Django's SelectFilter2) speaks German: Django 5.2's own German catalogue
lacks its new strings, ours (locale/de/LC_MESSAGES/djangojs.po) fills them in."""

import json

import pytest
from django.contrib.auth import get_user_model


@pytest.mark.django_db
@pytest.mark.parametrize("language, expected, absent", [
    ("de", ["Alle %s auswählen", "Alle %s entfernen", "Markierte %s auswählen", "„Auswählen“"], []),
    ("en", [], ["Alle %s auswählen"]),
])
def test_the_admin_javascript_catalogue_has_the_resource_pickers_strings(client, language, expected, absent):
    user = get_user_model().objects.create_superuser("js-admin", "js@example.org", "x-Passwort-2026")
    client.force_login(user)
    body = client.get("/admin/jsi18n/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    for text in expected:
        assert json.dumps(text)[1:-1] in body  # the catalogue is JSON, non-ASCII as \\u escapes
    for text in absent:
        assert json.dumps(text)[1:-1] not in body
