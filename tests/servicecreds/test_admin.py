"""Filialverwaltung > Servicezugangsdaten with Django's test client (C1–C10, U1–U4)."""

import pytest
from django.core import mail
from django.urls import reverse

from servicecreds.models import ServiceCredential

pytestmark = pytest.mark.django_db


def test_list_shows_state_columns(admin_client, setup):
    resp = admin_client.get("/admin/servicecreds/servicecredential/")
    body = resp.content.decode()
    assert resp.status_code == 200
    for text in ("anna-phone", "ben-phone", "Anna Becker", "CalDAV Terminsynchronisation", "Passwort gesetzt"):
        assert text in body
    assert admin_client.get("/admin/servicecreds/servicecredential/?password_set=no").context["cl"].result_count == 1
    assert 'id="new-credential">Neu</a>' in body  # C1: the seed's "Neu" action


def test_new_credential_then_username_is_read_only(admin_client, setup):
    # C1/C2/C3/C8/C9 in the seed's order
    resp = admin_client.get("/admin/servicecreds/servicecredential/add/")
    fields = list(resp.context["adminform"].form.fields)
    assert fields[:8] == ["access_type", "username", "valid_from", "valid_until", "user", "branch",
                          "service_class", "confirmed"]
    assert "Ressource spezifische URL" not in resp.content.decode()  # U1: only after the first save
    resp = admin_client.post("/admin/servicecreds/servicecredential/add/", {
        "access_type": "individual", "username": "ben-ipad", "valid_from": "", "valid_until": "",
        "user": setup["ben"].user.pk, "branch": setup["branch"].pk, "service_class": "caldav"})
    assert resp.status_code == 302
    cred = ServiceCredential.objects.get(username="ben-ipad")
    assert cred.confirmed is False and not cred.has_password
    url = reverse("admin:servicecreds_servicecredential_change", args=[cred.pk])
    page = admin_client.get(url)
    assert "username" not in page.context["adminform"].form.fields
    assert "löschen und neu anlegen" in page.content.decode()
    assert "Ressource spezifische URL" in page.content.decode()
    # a posted username is ignored: it cannot change through the form
    admin_client.post(url, {"access_type": "individual", "username": "hacked", "user": setup["ben"].user.pk,
                            "branch": setup["branch"].pk, "service_class": "caldav", "confirmed": "on"})
    cred.refresh_from_db()
    assert cred.username == "ben-ipad" and cred.confirmed


def test_duplicate_username_ignoring_case_is_a_form_error(admin_client, setup):
    resp = admin_client.post("/admin/servicecreds/servicecredential/add/", {
        "access_type": "individual", "username": "ANNA-PHONE", "user": setup["ben"].user.pk,
        "branch": setup["branch"].pk, "service_class": "caldav"})
    assert resp.status_code == 200
    assert "username" in resp.context["adminform"].form.errors


def test_set_new_password(admin_client, setup):
    cred = setup["ben_cred"]
    url = reverse("admin:servicecreds_servicecredential_password", args=[cred.pk])
    page = admin_client.get(url)
    assert page.status_code == 200 and 'type="password"' in page.content.decode()
    resp = admin_client.post(url, {"password1": "123", "password2": "123"})
    assert resp.status_code == 200 and resp.context["form"].errors  # Django's validators
    resp = admin_client.post(url, {"password1": "Ein-Gutes-Passwort-7", "password2": "Anders-7"})
    assert "password2" in resp.context["form"].errors
    cred.refresh_from_db()
    assert not cred.has_password
    resp = admin_client.post(url, {"password1": "Ein-Gutes-Passwort-7", "password2": "Ein-Gutes-Passwort-7"},
                             follow=True)
    assert "wurde neu vergeben" in resp.content.decode()
    cred.refresh_from_db()
    assert cred.check_password("Ein-Gutes-Passwort-7") and cred.password_set_by.username == "chef"
    assert "Ein-Gutes-Passwort-7" not in resp.content.decode()


def test_resource_url_page_follows_selection_and_greys_refused(admin_client, setup):
    cred, person, room, closed = setup["cred"], setup["person"], setup["room"], setup["closed"]
    url = reverse("admin:servicecreds_servicecredential_url", args=[cred.pk])
    resp = admin_client.get(url)
    body = resp.content.decode()
    assert resp.context["selected"].resource == person
    assert f"http://127.0.0.1:8000/caldav/anna-phone/{person.slug}/" in body
    assert "<svg" in body  # QR code
    refused = {c.resource.slug: c.decision.code for c in resp.context["choices"] if not c.allowed}
    assert refused == {closed.slug: "sync_not_allowed", setup["ben"].resources.get().slug: "other_employee"}
    assert "Terminsynchronisation erlaubt" in body  # the reason, in the admin's words
    resp = admin_client.get(url + f"?resource={room.slug}")  # without JavaScript
    assert resp.context["selected"].resource == room
    assert resp.context["selected"].url == f"http://127.0.0.1:8000/caldav/anna-phone/{room.slug}/"
    assert "Google" in resp.content.decode()  # S3 warning


def test_send_url_by_email(admin_client, setup):
    cred, room = setup["cred"], setup["room"]
    url = reverse("admin:servicecreds_servicecredential_url", args=[cred.pk])
    resp = admin_client.post(url, {"action": "email", "resource": room.slug}, follow=True)
    assert "anna@example.com" in resp.content.decode()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["anna@example.com"]
    assert f"/caldav/anna-phone/{room.slug}/" in mail.outbox[0].body
    assert "Service-Passwort-9" not in mail.outbox[0].body


def test_test_button_green_and_reasons(admin_client, setup):
    cred, person, closed = setup["cred"], setup["person"], setup["closed"]
    url = reverse("admin:servicecreds_servicecredential_test", args=[cred.pk])
    ok = admin_client.post(url, {"resource": person.slug}).json()
    assert ok["ok"] is True and ok["code"] == "ok"
    bad = admin_client.post(url, {"resource": closed.slug}).json()
    assert bad["ok"] is False and bad["code"] == "sync_not_allowed"
    assert "Administration des Terminplaners" in bad["message"]
    warn = admin_client.post(url, {"resource": setup["room"].slug}).json()
    assert warn["ok"] is True and "Google" in warn["warnings"][0]
    nopw = admin_client.post(reverse("admin:servicecreds_servicecredential_test", args=[setup["ben_cred"].pk]),
                             {"resource": setup["ben"].resources.get().slug}).json()
    assert nopw["code"] == "no_password" and "Passwort" in nopw["message"]
    cred.confirmed = False
    cred.save()
    assert admin_client.post(url, {"resource": person.slug}).json()["code"] == "not_confirmed"


def test_credentials_are_part_of_the_branch_administration(admin_client, setup):
    # seed 3.a: "Filialverwaltung > Servicezugangsdaten"
    apps = admin_client.get("/admin/").context["app_list"]
    section = next(a for a in apps if a["app_label"] == "branches")
    assert str(section["name"]) == "Filialverwaltung"
    assert {m["object_name"] for m in section["models"]} == {"Branch", "ServiceCredential"}
    assert all(a["app_label"] != "servicecreds" for a in apps)
    crumbs = admin_client.get("/admin/servicecreds/servicecredential/").content.decode()
    assert "Filialverwaltung" in crumbs
