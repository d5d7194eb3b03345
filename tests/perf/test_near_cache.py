"""The per-process front of the shared cache (``servicecreds.near_cache``): a warm phone request does
not ask Redis at all, and nothing it holds outlives a change of the credential."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.cache import cache

from servicecreds import near_cache
from servicecreds.models import ServiceCredential
from tests.caldav.conftest import PASSWORD, request

CTAG_POLL = ('<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:" '
             'xmlns:cs="http://calendarserver.org/ns/"><d:prop><cs:getctag/></d:prop></d:propfind>')


def poll(client, dav, password=PASSWORD):
    return request(client, "PROPFIND", dav.path(dav.person), CTAG_POLL, depth="0", password=password)


@pytest.mark.django_db
def test_a_warm_request_does_not_ask_the_shared_cache(client, dav):
    assert poll(client, dav).status_code == 207
    assert poll(client, dav).status_code == 207
    with mock.patch.object(cache, "get", wraps=cache.get) as get, \
            mock.patch.object(cache, "touch", wraps=cache.touch) as touch:
        assert poll(client, dav).status_code == 207
    assert not [c for c in get.call_args_list if "servicecreds:" in str(c.args[0])]
    assert not touch.called


@pytest.mark.django_db
def test_another_workers_verification_is_found_in_the_shared_cache(client, dav):
    """A worker that has not seen the phone yet takes the verification from the shared cache: no second hash."""
    assert poll(client, dav).status_code == 207
    near_cache.verified.clear()
    near_cache.inputs.clear()
    with mock.patch.object(ServiceCredential, "check_password", side_effect=AssertionError("hashed again")):
        assert poll(client, dav).status_code == 207


@pytest.mark.django_db
def test_a_new_password_is_effective_although_this_worker_remembers_the_old_one(client, dav):
    assert poll(client, dav).status_code == 207
    cred = ServiceCredential.objects.get(pk=dav.credential.pk)
    cred.set_password("Ganz-Neues-Passwort-8")
    cred.save()
    assert poll(client, dav).status_code == 401
    assert poll(client, dav, password="Ganz-Neues-Passwort-8").status_code == 207


@pytest.mark.django_db
def test_a_disabled_credential_is_refused_although_its_inputs_are_remembered(client, dav):
    assert poll(client, dav).status_code == 207
    ServiceCredential.objects.filter(pk=dav.credential.pk).update(confirmed=False)  # no signal, no version bump
    assert poll(client, dav).status_code in (401, 403)


def test_the_near_cache_is_bounded_and_expires(monkeypatch):
    near = near_cache.NearCache(max_entries=2)
    near.set("a", 1, ttl=60)
    near.set("b", 2, ttl=60)
    assert near.get("a") == 1  # a is now the most recent
    near.set("c", 3, ttl=60)
    assert (near.get("a"), near.get("b"), near.get("c")) == (1, None, 3)
    now = near_cache.time.monotonic()
    monkeypatch.setattr(near_cache.time, "monotonic", lambda: now + 61)
    assert near.get("a") is None
