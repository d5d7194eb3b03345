"""Listings (issue 13): a calendar of N objects, read with small stream chunks so that streaming happens."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories as f
from tests.caldav.conftest import fast_hasher  # noqa: F401  (autouse: cheap hashes)
from tests.privacy.conftest import world  # noqa: F401  (Anna, Ben, their phones and a room at "no_customer")

START = dt.datetime(2026, 1, 5, 9, tzinfo=f.BERLIN)


def fill(resource, frm: int, to: int, **kw) -> None:
    for i in range(frm, to):
        f.appointment([resource], uid=f"l{i}", start=START + dt.timedelta(hours=i), **kw)


@pytest.fixture
def small_chunks(settings, monkeypatch):
    """Chunks of 1 KiB, objects rendered 4 at a time: every listing of more than a few objects is streamed."""
    from caldav_endpoint import listing

    settings.CALDAV_STREAM_CHUNK = 1024
    monkeypatch.setattr(listing, "BATCH", 4)
