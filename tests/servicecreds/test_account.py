"""„Mein Konto“: own credentials only, own service password, URLs and Test (C10, U1–U4)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def login(client, username="anna", password="Login-Passwort-1"):
    resp = client.post("/account/login/", {"username": username, "password": password})
    assert resp.status_code == 302
    return client


def test_login_required(client, setup):
    resp = client.get("/account/")
    assert resp.status_code == 302 and resp["Location"].startswith("/account/login/")


def test_overview_lists_only_own_credentials_with_state_and_urls(client, setup):
    body = login(client).get("/account/").content.decode()
    assert "anna-phone" in body and "ben-phone" not in body
    assert "Passwort vergeben" in body and "bestätigt" in body
    assert f"/caldav/anna-phone/{setup['person'].slug}/" in body
    assert f"/caldav/anna-phone/{setup['room'].slug}/" in body
    assert setup["closed"].slug not in body  # not syncable: not offered to the employee
    assert "Dieses Telefon einrichten" in body  # U5: the QR code now carries a set-up link (tests/setup)


def test_set_own_password_requires_login_password(client, setup):
    url = reverse("account-credential-password", args=[setup["cred"].pk])
    login(client)
    resp = client.post(url, {"current_password": "falsch", "password1": "Neues-Service-PW-1",
                             "password2": "Neues-Service-PW-1"})
    assert resp.status_code == 200 and "current_password" in resp.context["form"].errors
    setup["cred"].refresh_from_db()
    assert setup["cred"].check_password("Service-Passwort-9")
    resp = client.post(url, {"current_password": "Login-Passwort-1", "password1": "Neues-Service-PW-1",
                             "password2": "Neues-Service-PW-1"})
    assert resp.status_code == 302
    setup["cred"].refresh_from_db()
    assert setup["cred"].check_password("Neues-Service-PW-1")


def test_other_users_credentials_are_404(client, setup):
    login(client)
    other = setup["ben_cred"].pk
    assert client.get(reverse("account-credential-password", args=[other])).status_code == 404
    assert client.post(reverse("account-credential-password", args=[other]), {
        "current_password": "Login-Passwort-1", "password1": "X-Passwort-123", "password2": "X-Passwort-123"
    }).status_code == 404
    assert client.post(reverse("account-credential-test", args=[other]), {"resource": "x"}).status_code == 404
    setup["ben_cred"].refresh_from_db()
    assert not setup["ben_cred"].has_password
    assert client.get("/admin/servicecreds/servicecredential/").status_code == 302  # no admin for employees


def test_test_button_on_my_account(client, setup):
    login(client)
    resp = client.post(reverse("account-credential-test", args=[setup["cred"].pk]),
                       {"resource": setup["person"].slug})
    assert resp.json()["ok"] is True


def test_english_ui(client, setup):
    login(client)
    body = client.get("/account/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Service credentials" in body and "My account" in body
