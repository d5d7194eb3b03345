""""Telefon verloren" (issue 14 B4): unconfirmed, old password dead, links revoked, who did it logged."""

import datetime as dt
import logging

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.utils import timezone

from servicecreds.models import ServiceCredential
from tests.caldav.conftest import request

from .conftest import LIST_URL

pytestmark = pytest.mark.django_db


def test_phone_lost_action(client, admin_client, dav, caplog):
    assert request(client, "PROPFIND", "/caldav/anna-phone/", Depth="0").status_code == 207
    old_hash = ServiceCredential.objects.get(pk=dav.credential.pk).password
    link_model = _setup_link_model()
    link = None
    if link_model is not None:
        link = link_model.objects.create(credential=dav.credential, resource=dav.person, token_hash="a" * 64,
                                         expires_at=timezone.now() + dt.timedelta(hours=1))
    with caplog.at_level(logging.WARNING, logger="terminsync.auth"):
        resp = admin_client.post(LIST_URL, {"action": "phone_lost", "_selected_action": [dav.credential.pk]},
                                 follow=True)
    assert resp.status_code == 200
    cred = ServiceCredential.objects.get(pk=dav.credential.pk)
    assert not cred.confirmed
    assert cred.password and cred.password != old_hash and cred.password_set_by.username == "chef"
    # the phone's saved password no longer works (the verified-password cache does not keep it alive)
    assert request(client, "PROPFIND", "/caldav/anna-phone/", Depth="0").status_code == 401
    entry = LogEntry.objects.get(object_id=str(cred.pk), action_flag=CHANGE)
    assert entry.user.username == "chef" and "Telefon verloren" in entry.get_change_message()
    assert any("Phone reported lost" in r.getMessage() and "chef" in r.getMessage() for r in caplog.records)
    if link is not None:
        link.refresh_from_db()
        assert link.revoked_at is not None


def _setup_link_model():
    try:
        return apps.get_model("servicecreds", "SetupLink")
    except LookupError:
        return None
