"""The credential list says first what the access rule says (issue: blocked credentials showed "Noch nie
verbunden"): "Gesperrt: …" with the rule's own sentence, and only for a usable credential its sync health."""

import datetime as dt

import pytest
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import override

from caldav_endpoint.models import DeviceHealth
from servicecreds import access, device_status
from servicecreds.models import ServiceCredential
from tests.health.conftest import LIST_URL, status_cell

pytestmark = pytest.mark.django_db

IOS = "iOS/18.1 (22B83) dataaccessd/1.0"
DAY = dt.timedelta(days=1)


def put_in_state(cred: ServiceCredential, state: str) -> ServiceCredential:
    """Anna's working credential ("anna-phone", confirmed, with password), changed into ``state``."""
    today = timezone.localdate()
    if state == "expired":
        cred.valid_until = today - DAY
    elif state == "not_yet_valid":
        cred.valid_from = today + 2 * DAY
    elif state == "not_confirmed":
        cred.confirmed = False
    elif state == "no_password":
        cred.password = ""
    elif state == "user_inactive":
        cred.user.is_active = False
        cred.user.save()
    elif state == "connected":
        cred.last_used_at, cred.last_user_agent = timezone.now() - dt.timedelta(minutes=5), IOS
    cred.save()
    return ServiceCredential.objects.select_related("user", "device_health").get(pk=cred.pk)


def blocked_texts(cred: ServiceCredential) -> dict[str, str]:
    """The column text each blocked state must show, German."""
    today = timezone.localdate()
    return {
        "expired": f"Gesperrt: abgelaufen am {today - DAY:%d.%m.%Y}",
        "not_yet_valid": f"Gesperrt: gültig erst ab {today + 2 * DAY:%d.%m.%Y}",
        "not_confirmed": "Gesperrt: nicht bestätigt",
        "no_password": "Gesperrt: kein Passwort gesetzt",
        "user_inactive": "Gesperrt: Benutzerkonto inaktiv",
    }


@pytest.mark.parametrize("state", ["expired", "not_yet_valid", "not_confirmed", "no_password", "user_inactive"])
def test_blocked_credential_shows_the_access_rule_not_never_connected(admin_client, setup, state):
    cred = put_in_state(setup["cred"], state)
    decision = access.credential_decision(cred)
    assert decision.code == state  # the rule itself says so; the column only reports it
    css, title, text = status_cell(admin_client, "anna-phone")
    assert (css, text) == ("blocked", blocked_texts(cred)[state])
    assert title == decision.message  # the rule's whole sentence, on hover
    assert "nie verbunden" not in text


def test_blocked_wins_over_a_recent_success_and_over_refusals(admin_client, setup):
    # an expired credential whose phone synced this morning and is refused since: the cause, not the symptom
    cred = put_in_state(setup["cred"], "connected")
    DeviceHealth.objects.create(credential=cred, last_refusal_at=timezone.now(), last_refusal_code="expired",
                                refusals_since=timezone.now(), refusals_count=4)
    put_in_state(cred, "expired")
    assert status_cell(admin_client, "anna-phone")[2].startswith("Gesperrt: abgelaufen am ")


def test_healthy_never_connected_and_connected(admin_client, setup):
    # ben-phone has no password: blocked; Anna's healthy credential shows its sync health
    assert status_cell(admin_client, "anna-phone")[::2] == ("never", "Noch nie verbunden")
    assert status_cell(admin_client, "ben-phone")[::2] == ("blocked", "Gesperrt: kein Passwort gesetzt")
    put_in_state(setup["cred"], "connected")
    assert status_cell(admin_client, "anna-phone")[::2] == ("ok", "OK, zuletzt vor 5 Min. (iPhone/iPad, iOS 18.1)")


def test_filter_offers_gesperrt_and_agrees_with_the_column(admin_client, setup):
    put_in_state(setup["cred"], "expired")
    page = admin_client.get(LIST_URL).content.decode()
    assert "?sync=blocked" in page and ">Gesperrt<" in page
    blocked = admin_client.get(f"{LIST_URL}?sync=blocked").context["cl"].result_list
    assert {c.username for c in blocked} == {"anna-phone", "ben-phone"}
    assert not admin_client.get(f"{LIST_URL}?sync=never").context["cl"].result_list  # neither is "never"


def test_change_page_shows_the_access_rule(admin_client, setup):
    cred = put_in_state(setup["cred"], "not_yet_valid")
    page = admin_client.get(f"{LIST_URL}{cred.pk}/change/").content.decode()
    assert "Die Servicezugangsdaten sind noch nicht gültig (siehe „gültig ab“)." in page


def test_status_texts_in_english(setup):
    from django.utils.translation import gettext as _

    cred = put_in_state(setup["cred"], "expired")
    with override("en"):
        status = device_status.status(cred)
        until = date_format(cred.valid_until, "SHORT_DATE_FORMAT")
        assert status.reason == "The service credentials have expired (see “valid until”)."
        assert until == f"{cred.valid_until:%m/%d/%Y}"  # the date in the reader's format
        # the short text goes through the catalogue (its English lines are listed for locale/)
        assert status.text == _("Gesperrt: %(reason)s") % {"reason": _("abgelaufen am %(date)s") % {"date": until}}
