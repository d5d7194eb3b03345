"""A credential the access rule refuses gets no set-up link: "Mein Konto" shows "Dieses Telefon einrichten"
disabled with the rule's reason, and every way to make a link refuses it with that reason, storing nothing."""

import re

import pytest
from django.urls import reverse

from servicecreds import access, setup_links
from servicecreds.models import SetupLink
from tests.servicecreds.test_status_blocked import put_in_state

pytestmark = pytest.mark.django_db

BLOCKED = ["expired", "not_yet_valid", "not_confirmed", "no_password"]  # an inactive user cannot log in at all


def login(client, username="anna", password="Login-Passwort-1"):
    assert client.post("/account/login/", {"username": username, "password": password}).status_code == 302
    return client


def card(body: str, pk: int) -> str:
    return body[body.index(f'id="credential-{pk}"'):].split("</section>")[0]


@pytest.mark.parametrize("state", BLOCKED)
def test_my_account_disables_set_up_with_the_rule_s_reason(client, setup, state):
    cred = put_in_state(setup["cred"], state)
    html = card(login(client).get("/account/").content.decode(), cred.pk)
    button = re.search(r'<button[^>]*class="primary setup-this-phone"[^>]*>', html).group(0)
    assert " disabled" in button and 'aria-disabled="true"' in button and 'type="button"' in button
    assert reverse("account-credential-setup", args=[cred.pk]) not in html  # no form, no link to follow
    reason = re.search(r'<p class="setup-why" id="setup-why-\d+">([^<]+)</p>', html).group(1)
    assert reason == access.credential_decision(cred).message
    assert f'aria-describedby="setup-why-{cred.pk}"' in button


def test_my_account_offers_set_up_for_a_usable_credential(client, setup):
    html = card(login(client).get("/account/").content.decode(), setup["cred"].pk)
    button = re.search(r'<button[^>]*class="primary setup-this-phone"[^>]*>', html).group(0)
    assert "disabled" not in button and 'type="submit"' in button
    assert 'class="setup-why"' not in html


@pytest.mark.parametrize("view", ["account-credential-setup", "account-credential-qr"])
@pytest.mark.parametrize("state", BLOCKED)
def test_own_set_up_views_refuse_a_blocked_credential(client, setup, state, view):
    cred = put_in_state(setup["cred"], state)
    login(client)
    resp = client.post(reverse(view, args=[cred.pk]), {"resource": setup["person"].slug})
    assert resp.status_code == 302 and resp["Location"] == f"/account/#credential-{cred.pk}"
    page = client.get(resp["Location"]).content.decode()
    assert f"Kein Einrichtungslink erzeugt: {access.credential_decision(cred).message}" in page
    assert not SetupLink.objects.exists()


def test_admin_url_page_refuses_a_link_for_a_blocked_credential(admin_client, setup):
    cred = put_in_state(setup["cred"], "expired")
    url = reverse("admin:servicecreds_servicecredential_url", args=[cred.pk])
    for action in ("setup_link", "email"):
        resp = admin_client.post(url, {"action": action, "resource": setup["person"].slug}, follow=True)
        assert "Kein Einrichtungslink erzeugt: Die Servicezugangsdaten sind abgelaufen" in resp.content.decode()
    assert not SetupLink.objects.exists()


def test_create_refuses_blocked_credentials_but_not_a_missing_first_password(setup):
    ben_cred, ben_person = setup["ben_cred"], setup["ben"].resources.get()
    assert setup_links.create(ben_cred, ben_person).link.pk  # U5: the set-up page sets the first password
    put_in_state(ben_cred, "expired")
    ben_cred.refresh_from_db()
    with pytest.raises(setup_links.SetupRefused) as refused:  # no password *and* expired: expired counts
        setup_links.create(ben_cred, ben_person)
    assert refused.value.decision.code == "expired"
    with pytest.raises(setup_links.SetupRefused):  # a calendar the phone would not get: no link either
        setup_links.create(setup["cred"], setup["closed"])
    assert SetupLink.objects.count() == 1
    assert ben_cred.password == ""  # the stand-in password of the question never reaches the row
