"""Sync health of a device (one service credential), recorded cheaply by the endpoint.

What is recorded, and how often:

- a **successful request** (time and User-Agent): ``auth.record_use`` on the
  credential row, at most once a minute (``LAST_USED_RESOLUTION``); the check reads
  ``last_used_at``, which the authentication query has already loaded;
- a **sync poll** (sync-collection REPORT, or a PROPFIND asking for the ctag or the
  sync token): ``note_sync``, at most once a minute per credential; the gate is a
  ``cache.add`` (one cache round trip, shared by all workers with Redis), the write
  one upsert. A worker asks the shared gate at most once a minute per credential
  (``near_cache.polls``): an iPhone polls the ctag every few seconds while the
  calendar is open, and the round trip was a quarter of such a poll. The time shown
  is then at most two minutes old, the resolution the health column needs;
- a **refusal** (the access rule at authentication, or the contract refusing a
  write): ``note_refusal``, written directly, one UPDATE with the 24-hour counter
  computed in SQL (no read, no lost increments). Refusals are rare in normal
  operation (a phone with an old password retries every quarter of an hour, a
  refused write needs a user action), and a refused login has already paid for a
  deliberately slow password hash that costs far more than one indexed UPDATE.
  Counting in the cache and flushing later would need a trigger for the flush,
  which only the next request could give: a phone that tried and gave up would
  leave its last refusal unflushed, exactly the one the admin needs to see.

  A **412 Precondition Failed** is not a refusal here (``SYNC_RACES``): the phone's copy was
  older than ours (its If-Match ETag is stale, or the object appeared or vanished meanwhile),
  which is how concurrent edits are meant to meet (RFC 4918 §12.2, RFC 7232 §3.1–3.2). The
  client re-reads and retries; counting it would turn a healthy device into "Fehler".

Health lives in its own table, not on the credential row: a write there does not
touch ``ServiceCredential.modified``, on which the verified-password cache depends.
Unknown usernames have no credential, so nothing is recorded for them.

Like ``probe``, this module is a public entry point: ``servicecreds.device_status``
reads ``DeviceHealth``, ``REFUSAL_WINDOW`` and ``client_name`` from here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from scheduler import exceptions as refused
from servicecreds import near_cache
from servicecreds.models import ServiceCredential

from .models import DeviceHealth
from .namespaces import CS, DAV
from .user_agents import client_name

__all__ = ["REFUSAL_WINDOW", "SYNC_RACES", "DeviceHealth", "client_name", "is_sync_poll", "note_refusal",
           "note_sync"]

SYNC_RESOLUTION = 60  # seconds: record a sync poll at most once a minute per credential
REFUSAL_WINDOW = dt.timedelta(hours=24)
SYNC_PROPS = frozenset({(CS, "getctag"), (DAV, "sync-token")})  # what a client polls to see whether to sync
# The contract's refusals the CalDAV door answers with 412 (``refusals.TABLE``): sync races, not device problems.
SYNC_RACES = frozenset({refused.PreconditionFailed.code, refused.AlreadyExists.code, refused.DoesNotExist.code})


def is_sync_poll(mode: str, names: Iterable[tuple[str, str]]) -> bool:
    """Does a PROPFIND of a calendar (``mode`` and names as parsed) ask for its ctag or sync token?"""
    return mode == "allprop" or not SYNC_PROPS.isdisjoint(names)


def note_sync(cred: ServiceCredential) -> None:
    """A sync-collection REPORT or a ctag/sync-token poll by this credential's device."""
    key = f"caldav:health:sync:{cred.pk}"
    if near_cache.polls.get(key):
        return
    near_cache.polls.set(key, True, SYNC_RESOLUTION)
    if not cache.add(key, 1, SYNC_RESOLUTION):
        return
    DeviceHealth.objects.bulk_create([DeviceHealth(credential_id=cred.pk, last_sync_at=timezone.now())],
                                     update_conflicts=True, unique_fields=["credential"],
                                     update_fields=["last_sync_at"])


def note_refusal(cred: ServiceCredential | None, code: str, user_agent: str = "", detail: str = "") -> None:
    """A refused request: ``code`` is the access rule's (``servicecreds.access``) or the contract's
    (``scheduler.exceptions``) reason code. A sync race (``SYNC_RACES``, 412) is not recorded."""
    if cred is None or code in SYNC_RACES:
        return
    now = timezone.now()
    fields = {"last_refusal_at": now, "last_refusal_code": code[:40], "last_refusal_agent": user_agent[:300],
              "last_refusal_detail": detail[:300]}
    in_window = Q(refusals_since__gt=now - REFUSAL_WINDOW)
    updated = DeviceHealth.objects.filter(credential_id=cred.pk).update(
        refusals_count=Case(When(in_window, then=F("refusals_count") + 1), default=Value(1)),
        refusals_since=Case(When(in_window, then=F("refusals_since")), default=Value(now)),
        **fields)
    if updated:
        return
    try:
        with transaction.atomic():
            DeviceHealth.objects.create(credential_id=cred.pk, refusals_count=1, refusals_since=now, **fields)
    except IntegrityError:  # created meanwhile by a parallel request: count into it
        note_refusal(cred, code, user_agent, detail)
