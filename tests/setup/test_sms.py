"""The set-up link by SMS and e-mail (U3, U5): the link, never a password; rate-limited; numbers in E.164."""

import io
import json
import re
import urllib.error
from unittest import mock

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from scheduler.models import Employee
from servicecreds import delivery, setup_links, sms
from servicecreds.models import SetupLink
from servicecreds.sms.backends import http as http_backend

pytestmark = pytest.mark.django_db
LINK = re.compile(r"https?://\S+/setup/([\w-]+)/")


@pytest.fixture
def mobile(setup):
    anna = setup["anna"]
    anna.mobile = "0171 2345678"
    anna.full_clean()
    anna.save()
    return anna


@pytest.mark.parametrize("typed,stored", [
    ("0171 2345678", "+491712345678"), ("+49 (171) 234-5678", "+491712345678"), ("0043 664 1234567", "+436641234567"),
])
def test_mobile_numbers_are_normalised_to_e164(setup, typed, stored):
    anna = setup["anna"]
    anna.mobile = typed
    anna.full_clean()
    anna.save()
    assert Employee.objects.values_list("mobile", flat=True).get(pk=anna.pk) == stored


@pytest.mark.parametrize("typed", ["12", "0171", "keine Nummer", "+49 171 2345678 999 999"])
def test_invalid_mobile_numbers_are_refused(setup, typed):
    anna = setup["anna"]
    anna.mobile = typed
    with pytest.raises(ValidationError) as exc:
        anna.full_clean()
    assert "mobile" in exc.value.message_dict


def test_sms_carries_the_link_and_no_password(admin_client, setup, mobile, sms_outbox):
    cred, room = setup["cred"], setup["room"]
    url = reverse("admin:servicecreds_servicecredential_url", args=[cred.pk])
    resp = admin_client.post(url, {"action": "sms", "resource": room.slug}, follow=True)
    assert "+491712345678" in resp.content.decode()
    (message,) = sms_outbox
    assert message.to == "+491712345678"
    assert "Service-Passwort-9" not in message.body and "Passwort" not in message.body
    token = LINK.search(message.body).group(1)
    link = setup_links.find(token)
    assert link.credential == cred and link.resource == room and link.created_by.username == "chef"
    assert len(message.body) <= 160 * 2  # two SMS at most


def test_sms_rate_limit_per_credential(setup, mobile, sms_outbox, settings, caplog):
    settings.SMS_RATE_LIMIT = 5
    cred = setup["cred"]
    results = [delivery.send_sms(cred, setup["person"], by=None) for _ in range(6)]
    assert [r.ok for r in results] == [True] * 5 + [False]
    assert "bereits 5 SMS" in results[-1].message
    assert len(sms_outbox) == 5 and SetupLink.objects.filter(credential=cred).count() == 5
    assert delivery.sms_quota_left(setup["ben_cred"]) == 5  # per credential
    # logged, without secrets
    tokens = [LINK.search(m.body).group(1) for m in sms_outbox]
    assert "Set-up link sent by SMS" in caplog.text and "rate limit" in caplog.text
    assert not any(t in caplog.text for t in tokens) and "+491712345678" not in caplog.text


def test_sms_button_disabled_without_mobile_number(admin_client, setup):
    url = reverse("admin:servicecreds_servicecredential_url", args=[setup["cred"].pk])
    body = admin_client.get(url).content.decode()
    assert re.search(r'id="send-sms"[^>]*disabled', body)
    assert "Keine Mobilnummer hinterlegt" in body
    admin_client.post(url, {"action": "sms", "resource": setup["person"].slug})
    assert sms.outbox == []


def test_sms_switched_off(admin_client, setup, mobile, settings):
    settings.SMS_BACKEND = "servicecreds.sms.backends.disabled.SmsBackend"
    url = reverse("admin:servicecreds_servicecredential_url", args=[setup["cred"].pk])
    assert "SMS-Versand ist nicht eingerichtet" in admin_client.get(url).content.decode()


def test_email_carries_the_link_and_my_account(admin_client, setup):
    cred, room = setup["cred"], setup["room"]
    url = reverse("admin:servicecreds_servicecredential_url", args=[cred.pk])
    admin_client.post(url, {"action": "email", "resource": room.slug})
    (message,) = mail.outbox
    assert message.to == ["anna@example.com"]
    token = LINK.search(message.body).group(1)
    assert setup_links.find(token).resource == room
    assert "http://127.0.0.1:8000/account/" in message.body
    assert "Service-Passwort-9" not in message.body


class FakeResponse(io.BytesIO):
    status = 202

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_http_gateway_backend_posts_json_with_bearer_token(settings):
    settings.SMS_BACKEND = "servicecreds.sms.backends.http.SmsBackend"
    settings.SMS_GATEWAY_URL = "https://sms.example.invalid/send"
    settings.SMS_GATEWAY_TOKEN = "gw-token"
    settings.SMS_SENDER = "Optik"
    with mock.patch.object(http_backend.urllib.request, "urlopen", return_value=FakeResponse(b"{}")) as urlopen:
        assert sms.send_sms("+491712345678", "Hallo") == 1
    request = urlopen.call_args.args[0]
    assert request.full_url == "https://sms.example.invalid/send" and request.get_method() == "POST"
    assert request.headers["Authorization"] == "Bearer gw-token"
    assert json.loads(request.data) == {"to": "+491712345678", "from": "Optik", "text": "Hallo"}
    error = urllib.error.HTTPError("https://sms.example.invalid/send", 401, "no", {}, None)
    with mock.patch.object(http_backend.urllib.request, "urlopen", side_effect=error), \
            pytest.raises(sms.SmsError):
        sms.send_sms("+491712345678", "Hallo")


def test_failed_gateway_revokes_the_link_it_would_have_sent(setup, mobile, settings):
    settings.SMS_BACKEND = "servicecreds.sms.backends.http.SmsBackend"
    settings.SMS_GATEWAY_URL = "https://sms.example.invalid/send"
    with mock.patch.object(http_backend.urllib.request, "urlopen", side_effect=urllib.error.URLError("down")):
        sent = delivery.send_sms(setup["cred"], setup["person"], by=None)
    assert not sent.ok and "nicht gesendet" in sent.message
    assert SetupLink.objects.open().count() == 0
