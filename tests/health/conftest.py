"""Sync-health fixtures: the CalDAV set-up (``dav``), a fast hasher and a logged-in superuser."""

import pytest
from django.contrib.auth import get_user_model


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin_client(client, db):
    client.force_login(get_user_model().objects.create_superuser("chef", "chef@example.com", "x"))
    return client


LIST_URL = "/admin/servicecreds/servicecredential/"


def status_cell(admin_client, username: str) -> str:
    """The text of the "Synchronisation" column in the credential list for one credential."""
    import re

    resp = admin_client.get(LIST_URL)
    assert resp.status_code == 200
    html = resp.content.decode()
    row = next(r for r in html.split("<tr") if f">{username}</a>" in r)
    match = re.search(r'<td class="field-sync_status">\s*<span class="sync-(\w+)" title="([^"]*)">([^<]*)</span>', row)
    assert match, row
    return match.group(1), match.group(2), match.group(3)
