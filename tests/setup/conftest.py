"""Fixtures of the phone set-up tests (U3, U5): Anna's credential from tests/servicecreds, SMS in an outbox."""

import pytest

from servicecreds import setup_links, sms
from tests.servicecreds import conftest as servicecreds_world

# The same world as the admin tests: Anna (credential "anna-phone"), Ben, a room, a closed room.
setup = servicecreds_world.setup
admin_client = servicecreds_world.admin_client


@pytest.fixture(autouse=True)
def sms_outbox(settings):
    """SMS go to ``servicecreds.sms.outbox`` (locmem backend); nothing leaves the machine."""
    settings.SMS_BACKEND = "servicecreds.sms.backends.locmem.SmsBackend"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def new_link(setup):
    """A fresh set-up link for Anna's credential and her person resource."""
    return setup_links.create(setup["cred"], setup["person"])


def open_link(client, token: str):
    """Open the link and press "Einrichtung starten" like the employee does."""
    resp = client.post(f"/setup/{token}/")
    assert resp.status_code == 302, resp.content
    return client
