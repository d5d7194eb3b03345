"""The one-time set-up link (U5): hashed, started once, expires, revocable; the page per platform."""

import datetime as dt
import plistlib

import pytest
from django.utils import timezone

from servicecreds import setup_links
from servicecreds.models import SetupLink

from .conftest import open_link

pytestmark = pytest.mark.django_db

IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36"
LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def test_token_is_stored_only_as_sha256(new_link):
    # U5: the database alone cannot open a link
    row = SetupLink.objects.values().get(pk=new_link.link.pk)
    assert new_link.token not in str(row)
    assert row["token_hash"] == setup_links.hash_token(new_link.token) and len(row["token_hash"]) == 64
    assert new_link.url.endswith(f"/setup/{new_link.token}/")
    assert abs(row["expires_at"] - row["created_at"] - dt.timedelta(hours=72)) < dt.timedelta(seconds=1)


def test_opening_uses_nothing_up_starting_uses_the_link(client, new_link, django_user_model):
    from django.test import Client

    # a link preview or mail scanner fetches the address: nothing happens
    assert client.get(f"/setup/{new_link.token}/").status_code == 200
    assert Client().get(f"/setup/{new_link.token}/").status_code == 200
    new_link.link.refresh_from_db()
    assert new_link.link.used_at is None
    open_link(client, new_link.token)
    new_link.link.refresh_from_db()
    assert new_link.link.used_at is not None
    page = client.get(f"/setup/{new_link.token}/", HTTP_USER_AGENT=LINUX)
    assert page.status_code == 200 and "Verbindung testen" in page.content.decode()
    # single use: another browser (or the same link sent on) is refused
    other = Client()
    resp = other.get(f"/setup/{new_link.token}/")
    assert resp.status_code == 410 and "bereits verwendet" in resp.content.decode()
    assert other.post(f"/setup/{new_link.token}/").status_code == 410
    assert other.post(f"/setup/{new_link.token}/profile/").status_code == 410
    assert other.post(f"/setup/{new_link.token}/test/", {"password": "Service-Passwort-9"}).status_code == 410


def test_expired_and_revoked_links(client, setup):
    expired = setup_links.create(setup["cred"], setup["person"])
    SetupLink.objects.filter(pk=expired.link.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    resp = client.post(f"/setup/{expired.token}/")
    assert resp.status_code == 410 and "abgelaufen" in resp.content.decode()
    revoked = setup_links.create(setup["cred"], setup["person"])
    setup_links.revoke(SetupLink.objects.filter(pk=revoked.link.pk))
    resp = client.get(f"/setup/{revoked.token}/")
    assert resp.status_code == 410 and "widerrufen" in resp.content.decode()
    assert client.get("/setup/nonsense/").status_code == 404


def test_started_link_expires_for_its_browser_too(client, new_link):
    open_link(client, new_link.token)
    SetupLink.objects.filter(pk=new_link.link.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert client.get(f"/setup/{new_link.token}/").status_code == 410
    open_link_again = client.post(f"/setup/{new_link.token}/profile/")
    assert open_link_again.status_code == 410


def test_admin_password_reset_revokes_open_links(admin_client, setup, new_link):
    from django.urls import reverse

    url = reverse("admin:servicecreds_servicecredential_password", args=[setup["cred"].pk])
    admin_client.post(url, {"password1": "Ein-Gutes-Passwort-7", "password2": "Ein-Gutes-Passwort-7"})
    new_link.link.refresh_from_db()
    assert new_link.link.revoked_at is not None


def _profile(client, token, password=""):
    resp = client.post(f"/setup/{token}/profile/", {"password": password} if password else {})
    assert resp.status_code == 200, resp.content
    assert resp["Content-Type"] == "application/x-apple-aspen-config"
    assert "no-store" in resp["Cache-Control"]
    return plistlib.loads(resp.content)


def test_iphone_gets_a_profile_with_host_principal_and_username(client, setup, new_link, settings):
    settings.TERMINSYNC_BASE_URL = "https://termine.example.de"
    open_link(client, new_link.token)
    page = client.get(f"/setup/{new_link.token}/", HTTP_USER_AGENT=IPHONE).content.decode()
    assert 'id="platform-apple" open' in page and 'id="platform-android" >' in page
    profile = _profile(client, new_link.token)
    assert profile["PayloadType"] == "Configuration"
    (account,) = profile["PayloadContent"]
    assert account["PayloadType"] == "com.apple.caldav.account"
    assert account["CalDAVHostName"] == "termine.example.de"
    assert account["CalDAVPort"] == 443 and account["CalDAVUseSSL"] is True
    assert account["CalDAVPrincipalURL"] == "https://termine.example.de/principals/anna-phone/"
    assert account["CalDAVUsername"] == "anna-phone"
    assert account["CalDAVAccountDescription"] == "Terminsync – Hamburg"
    assert "CalDAVPassword" not in account  # only when typed


def test_profile_carries_the_password_only_when_typed_and_right(client, setup, new_link):
    open_link(client, new_link.token)
    account = _profile(client, new_link.token, "Service-Passwort-9")["PayloadContent"][0]
    assert account["CalDAVPassword"] == "Service-Passwort-9"
    assert account["CalDAVHostName"] == "127.0.0.1" and account["CalDAVPort"] == 8000
    assert account["CalDAVUseSSL"] is False
    wrong = client.post(f"/setup/{new_link.token}/profile/", {"password": "falsch"}, follow=True)
    assert wrong["Content-Type"].startswith("text/html")
    assert "Benutzername oder Passwort ist falsch" in wrong.content.decode()
    setup["cred"].refresh_from_db()
    assert setup["cred"].check_password("Service-Passwort-9")  # nothing stored from the profile step


@pytest.mark.parametrize("base,link", [
    ("https://termine.example.de", "caldavs://anna-phone@termine.example.de/caldav/anna-phone/{slug}/"),
    ("http://10.0.0.5:8000", "caldav://anna-phone@10.0.0.5:8000/caldav/anna-phone/{slug}/"),
])
def test_android_gets_a_davx5_link_with_url_and_username(client, setup, new_link, settings, base, link):
    settings.TERMINSYNC_BASE_URL = base
    open_link(client, new_link.token)
    page = client.get(f"/setup/{new_link.token}/", HTTP_USER_AGENT=ANDROID).content.decode()
    assert 'id="platform-android" open' in page
    assert f'href="{link.format(slug=setup["person"].slug)}"' in page
    assert "DAVx⁵" in page


def test_other_devices_get_the_three_values_with_copy_buttons(client, setup, new_link):
    open_link(client, new_link.token)
    page = client.get(f"/setup/{new_link.token}/", HTTP_USER_AGENT=LINUX).content.decode()
    assert 'id="platform-other" open' in page
    assert f'value="http://127.0.0.1:8000/caldav/anna-phone/{setup["person"].slug}/"' in page
    assert 'value="anna-phone"' in page and 'data-copy="value-url"' in page
    assert "/account/" in page  # where to set the password


def test_connection_test_with_the_typed_password(client, setup, new_link):
    open_link(client, new_link.token)
    url = f"/setup/{new_link.token}/test/"
    ok = client.post(url, {"password": "Service-Passwort-9"}).json()
    assert ok["ok"] is True and "Verbindung erfolgreich" in ok["message"]
    wrong = client.post(url, {"password": "falsch"}).json()
    assert wrong["ok"] is False and wrong["code"] == "wrong_password"
    assert client.post(url, {}).status_code == 400


def test_first_password_can_be_set_on_the_page_an_existing_one_not(client, setup):
    ben = setup["ben_cred"]
    ben_person = setup["ben"].resources.get()
    new = setup_links.create(ben, ben_person)
    open_link(client, new.token)
    page = client.get(f"/setup/{new.token}/").content.decode()
    assert "Servicepasswort festlegen" in page
    resp = client.post(f"/setup/{new.token}/password/", {"password1": "Bens-Telefon-PW-3",
                                                         "password2": "Bens-Telefon-PW-3"})
    assert resp.status_code == 302 and resp["Location"].endswith("#setup-test")
    ben.refresh_from_db()
    assert ben.check_password("Bens-Telefon-PW-3") and ben.password_set_by == ben.user
    # now it exists: the link cannot change it (that needs "Mein Konto" and the login password)
    client.post(f"/setup/{new.token}/password/", {"password1": "Anderes-PW-44", "password2": "Anderes-PW-44"})
    ben.refresh_from_db()
    assert ben.check_password("Bens-Telefon-PW-3")
    assert "Servicepasswort festlegen" not in client.get(f"/setup/{new.token}/").content.decode()


def test_set_up_pages_in_english(client, new_link):
    body = client.get(f"/setup/{new_link.token}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Start set-up" in body
    open_link(client, new_link.token)
    body = client.get(f"/setup/{new_link.token}/", HTTP_ACCEPT_LANGUAGE="en", HTTP_USER_AGENT=ANDROID).content.decode()
    assert "Test connection" in body and "Open in DAVx⁵" in body
