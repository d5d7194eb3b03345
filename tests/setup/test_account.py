"""„Mein Konto" made for a phone: usable credentials first, "Dieses Telefon einrichten", back to the card."""

import re

import pytest
from django.urls import reverse

from servicecreds.models import ServiceCredential, SetupLink

pytestmark = pytest.mark.django_db


def login(client, username="anna", password="Login-Passwort-1"):
    assert client.post("/account/login/", {"username": username, "password": password}).status_code == 302
    return client


def test_usable_credentials_come_first(client, setup):
    anna = setup["anna"]
    ServiceCredential.objects.create(username="aaa-unbestaetigt", user=anna.user, branch=setup["branch"])
    body = login(client).get("/account/").content.decode()
    assert body.index("anna-phone") < body.index("aaa-unbestaetigt")
    # the unusable one says why its set-up button is disabled
    blocked = re.search(r'id="setup-why-\d+">([^<]+)<', body).group(1)
    assert "Passwort" in blocked


def test_set_up_this_phone_opens_the_set_up_page_in_place(client, setup):
    login(client)
    cred = setup["cred"]
    resp = client.post(reverse("account-credential-setup", args=[cred.pk]), {"resource": setup["person"].slug})
    assert resp.status_code == 302 and resp["Location"].startswith("/setup/")
    link = SetupLink.objects.get()
    assert link.credential == cred and link.used_at is not None and link.created_by == cred.user
    page = client.get(resp["Location"])
    assert page.status_code == 200 and "Verbindung testen" in page.content.decode()
    assert "<svg" not in page.content.decode()  # no QR code on the phone itself


def test_set_up_refuses_other_peoples_and_unsyncable_resources(client, setup):
    login(client)
    url = reverse("account-credential-setup", args=[setup["cred"].pk])
    resp = client.post(url, {"resource": setup["closed"].slug}, follow=True)
    assert "nicht synchronisiert werden" in resp.content.decode() and not SetupLink.objects.exists()
    assert client.post(reverse("account-credential-setup", args=[setup["ben_cred"].pk]),
                       {"resource": setup["ben"].resources.get().slug}).status_code == 404


def test_qr_code_for_another_device_encodes_a_set_up_link(client, setup):
    login(client)
    resp = client.post(reverse("account-credential-qr", args=[setup["cred"].pk]), {"resource": setup["room"].slug})
    body = resp.content.decode()
    assert "<svg" in body and "/setup/" in body
    link = SetupLink.objects.get()
    assert link.used_at is None and link.resource == setup["room"]


def test_after_saving_a_password_back_to_that_card(client, setup):
    login(client)
    cred = setup["cred"]
    resp = client.post(reverse("account-credential-password", args=[cred.pk]), {
        "current_password": "Login-Passwort-1", "password1": "Neues-Service-PW-1", "password2": "Neues-Service-PW-1"})
    assert resp["Location"] == f"/account/#credential-{cred.pk}"
