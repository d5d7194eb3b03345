"""HTTP entity-tag preconditions (RFC 9110 §13.1), parsed once for every door.

``If-Match`` and ``If-None-Match`` may carry ``*`` or a list of entity tags,
each quoted, possibly weak (``W/"..."``), and a quoted tag may itself contain
commas. The writer (``scheduler.services``) compares them *under its lock*;
doors only pass the header through ``parse``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TAG = re.compile(r'\s*(W/)?"([^"]*)"\s*(,|$)')


@dataclass(frozen=True)
class EntityTags:
    """``any`` for ``*``; otherwise the strong tags listed (weak ones never match strongly)."""

    any: bool = False
    strong: frozenset[str] = frozenset()
    weak: frozenset[str] = frozenset()

    def matches(self, etag: str) -> bool:
        """Strong comparison, as If-Match requires."""
        return self.any or etag in self.strong

    def matches_weakly(self, etag: str) -> bool:
        """Weak comparison, as If-None-Match requires."""
        return self.any or etag in self.strong or etag in self.weak


def parse(header: str | EntityTags | None) -> EntityTags | None:
    """None when the header is absent or empty; an unparseable header matches nothing.

    A bare token without quotes (sent by some older clients and by our own
    admin form) is read as one strong tag.
    """
    if header is None or isinstance(header, EntityTags):
        return header
    header = header.strip()
    if not header:
        return None
    if header == "*":
        return EntityTags(any=True)
    if '"' not in header:
        return EntityTags(strong=frozenset({header}))
    strong, weak, pos = set(), set(), 0
    while pos < len(header):
        m = _TAG.match(header, pos)
        if not m:
            return EntityTags()
        (weak if m.group(1) else strong).add(m.group(2))
        pos = m.end()
    return EntityTags(strong=frozenset(strong), weak=frozenset(weak))
