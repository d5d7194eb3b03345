"""The admin's URL page (U1–U5): set-up link as QR, revocation, the Test note; the branch warning (C7)."""

import re

import pytest
from django.urls import reverse

from scheduler.models import Resource
from servicecreds import setup_links
from servicecreds.models import SetupLink
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_qr_code_encodes_a_new_set_up_link(admin_client, setup):
    cred, room = setup["cred"], setup["room"]
    url = reverse("admin:servicecreds_servicecredential_url", args=[cred.pk])
    assert 'class="qr"' not in admin_client.get(url).content.decode()  # no bare-URL QR code any more
    body = admin_client.post(url, {"action": "setup_link", "resource": room.slug}).content.decode()
    assert re.search(r'<div class="qr">\s*<svg', body)
    token = re.search(r'value="http://127\.0\.0\.1:8000/setup/([\w-]+)/" id="new-setup-link-url"', body).group(1)
    link = setup_links.find(token)
    assert link.resource == room and link.used_at is None
    assert "Offene Einrichtungslinks" in body


def test_admin_revokes_open_links(admin_client, setup):
    cred = setup["cred"]
    first = setup_links.create(cred, setup["person"])
    second = setup_links.create(cred, setup["room"])
    url = reverse("admin:servicecreds_servicecredential_url", args=[cred.pk])
    admin_client.post(url, {"action": "revoke", "link": [first.link.pk]})
    assert list(SetupLink.objects.open()) == [second.link]
    other = setup_links.create(setup["ben_cred"], setup["ben"].resources.get())
    admin_client.post(url, {"action": "revoke", "link": [other.link.pk]})  # not this credential's: untouched
    other.link.refresh_from_db()
    assert other.link.revoked_at is None


def test_view_only_admin_cannot_make_or_send_links(client, setup):
    from django.contrib.auth.models import Permission

    viewer = f.user("viewer", perms=None, is_staff=True, is_superuser=False)
    viewer.user_permissions.add(Permission.objects.get(codename="view_servicecredential"))
    setup["branch"].managers.add(viewer)
    client.force_login(viewer)
    url = reverse("admin:servicecreds_servicecredential_url", args=[setup["cred"].pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"action": "setup_link", "resource": setup["person"].slug}).status_code == 404
    assert not SetupLink.objects.exists()


def test_test_button_says_the_password_is_not_checked(admin_client, setup):
    url = reverse("admin:servicecreds_servicecredential_url", args=[setup["cred"].pk])
    assert "Passwort nicht geprüft – es ist nur gehasht gespeichert" in admin_client.get(url).content.decode()


def test_branch_differs_from_home_branch_warns_and_lists_rooms(admin_client, setup):
    cred = setup["cred"]
    luebeck = f.branch("hl", name="Lübeck")
    f.room(luebeck, name="Hörkabine Lübeck")
    f.room(luebeck, name="Lager", sync=False)
    change = reverse("admin:servicecreds_servicecredential_change", args=[cred.pk])
    assert 'id="branch-warning"' not in admin_client.get(change).content.decode()
    resp = admin_client.post(change, {
        "access_type": "individual", "username": "anna-phone", "user": cred.user.pk, "branch": luebeck.pk,
        "service_class": "caldav", "confirmed": "on", "_continue": "1"}, follow=True)
    body = resp.content.decode()
    cred.refresh_from_db()
    assert cred.branch == luebeck  # warned, not refused
    message = [str(m) for m in resp.context["messages"] if m.level_tag == "warning"]
    assert message and "Stammfiliale „Hamburg“" in message[0] and "Hörkabine Lübeck" in message[0]
    assert "Lager" not in message[0]  # no sync: the phone does not see it
    assert 'id="branch-warning"' in body  # and on the change page itself
    assert Resource.objects.filter(name="Refraktionsraum").exists()
