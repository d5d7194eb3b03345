"""„Mein Konto“ and its Test button tell an employee only what they may know (U4, D3).

Reasons for the own credential and the own resources, the calendars the phone gets; never a
colleague's resource (its state, its old Google calendar ID) or a room the phone does not get.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories as f
from tests.security.scope_world import World, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    w = build_world()
    ben = w.dav.other_person
    ben.legacy_calendar_id = "ben.privat@gmail.com"
    ben.save()
    return w


@pytest.fixture
def anna(client, world):
    user = world.dav.employee.user
    assert client.post("/account/login/", {"username": user.username, "password": "pw-Geheim-123"}).status_code == 302
    return client


def button_url(world) -> str:
    return reverse("account-credential-test", args=[world.dav.credential.pk])


def test_colleagues_resource_is_unknown_to_the_test_button(anna, world):
    resp = anna.post(button_url(world), {"resource": world.dav.other_person.slug})
    assert resp.status_code == 400 and resp.json()["code"] == "unknown_resource"
    assert "gmail" not in resp.content.decode() and "Ben" not in resp.content.decode()


def test_rooms_the_phone_does_not_get_are_unknown(anna, world):
    closed = f.room(world.hh, name="Werkstatt", sync=False)
    for room in (closed, world.dav.other_room):
        resp = anna.post(button_url(world), {"resource": room.slug})
        assert resp.status_code == 400 and resp.json()["code"] == "unknown_resource"


def test_own_resources_get_their_reasons(anna, world):
    person = world.dav.person
    assert anna.post(button_url(world), {"resource": person.slug}).json()["ok"] is True
    assert anna.post(button_url(world), {"resource": world.dav.room.slug}).json()["ok"] is True
    person.sync_allowed = False
    person.save()
    result = anna.post(button_url(world), {"resource": person.slug}).json()
    assert result["ok"] is False and result["code"] == "sync_not_allowed"
    cred = world.dav.credential
    cred.confirmed = False
    cred.save()
    assert anna.post(button_url(world), {"resource": person.slug}).json()["code"] == "not_confirmed"


def test_account_page_lists_own_and_synced_calendars_only(anna, world):
    body = anna.get("/account/").content.decode()
    assert world.dav.person.slug in body and world.dav.room.slug in body
    assert world.dav.other_person.slug not in body and "gmail" not in body
    assert world.dav.other_room.slug not in body and world.clara_person.slug not in body
