"""Sync tokens (RFC 6578) and the ctag: both are the resource's change-log revision.

The token is a URI (Evolution drops tokens that are not) naming the calendar
and the revision, so a token of another calendar is recognised as foreign.
"""

from __future__ import annotations

import re

from scheduler.models import Resource
from servicecreds import decision_cache

PREFIX = "urn:terminsync:sync:"
REVISION = re.compile(r"[0-9]{1,19}")
MAX_REVISION = 2**63 - 1


def current_revision(resource: Resource) -> int:
    """The calendar's revision now: the counters of a resolved calendar are read when first asked for
    (``decision_cache.load_counters``, one indexed read), so a multiget or a calendar-query, which name
    no token, does not pay for them."""
    decision_cache.load_counters([resource])
    return resource.sync_revision


def sync_token(resource: Resource, revision: int | None = None) -> str:
    return f"{PREFIX}{resource.slug}:{current_revision(resource) if revision is None else revision}"


def parse_sync_token(token: str, resource: Resource) -> int | None:
    """The revision of a valid token of this calendar; None if unknown, foreign or pruned."""
    if not token.startswith(PREFIX):
        return None
    slug, _, rev = token[len(PREFIX):].rpartition(":")
    # ASCII digits only (str.isdigit() also takes "²", which int() refuses) and within
    # the BigIntegerField the revision is compared with (PostgreSQL would overflow).
    if slug != resource.slug or not REVISION.fullmatch(rev):
        return None
    revision = int(rev)
    if revision > MAX_REVISION:
        return None
    if revision > current_revision(resource) or revision < resource.sync_floor:
        return None
    return revision
