"""HTTP entity-tag preconditions (RFC 9110 §13.1.1, §13.1.2), parsed once for every door.

Either ``*`` or a comma-separated list of entity tags, each ``"opaque"`` (strong)
or ``W/"opaque"`` (weak); the opaque part may itself contain commas, so the list
is read tag by tag, never split on ",". The writer (``scheduler.services``)
compares them *under its lock*; doors only pass the header through:

- If-Match compares strongly, so a weak tag can never match and is left out;
- If-None-Match compares weakly, so strong and weak tags both count.

Some clients send a bare, unquoted ETag (Outlook CalDAV Synchronizer has an
option for it; our admin form's hidden version too); a header that is just one
such token is read as that tag. Any other malformed header yields an empty
list: nothing matches, so If-Match fails with 412 rather than letting a write
through on a header we misread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

# RFC 9110 §8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE; etagc = %x21 / %x23-7E / obs-text.
# A space inside the quotes is tolerated (be liberal in what you accept): it cannot end a tag.
_TAG = re.compile(r'(W/)?"([\x20\x21\x23-\x7e\x80-\xff]*)"')
_BARE = re.compile(r"[\x21\x23-\x2b\x2d-\x7e]+")  # one token without quotes, commas or spaces

Parsed = None | Literal["*"] | list[str]


def _tags(header: str) -> list[tuple[bool, str]] | None:
    """[(weak, opaque), ...], or None if the header is not a list of entity tags.

    Tags are separated by commas; spaces and empty list elements are allowed (RFC 9110 §5.6.1).
    """
    tags: list[tuple[bool, str]] = []
    pos, after_tag = 0, False
    while pos < len(header):
        char = header[pos]
        if char in " \t" or char == ",":
            after_tag = after_tag and char != ","
            pos += 1
            continue
        m = _TAG.match(header, pos)
        if after_tag or not m:
            return None
        tags.append((bool(m.group(1)), m.group(2)))
        pos, after_tag = m.end(), True
    return tags or None


def _parse(header: str | None, *, weak_counts: bool) -> Parsed:
    if header is None:
        return None
    header = header.strip(" \t")
    if not header:
        return None
    if header == "*":
        return "*"
    tags = _tags(header)
    if tags is None:
        return [header] if _BARE.fullmatch(header) else []
    return [opaque for weak, opaque in tags if weak_counts or not weak]


def parse_if_match(header: str | None) -> Parsed:
    """None (no header), "*" (any current object), or the strong ETags that may match.

    ``parse_if_match('"x", "a,b"') == ["x", "a,b"]``; ``W/"x"`` is dropped (strong comparison).
    """
    return _parse(header, weak_counts=False)


def parse_if_none_match(header: str | None) -> Parsed:
    """None (no header), "*" (the object must not exist), or the ETags that must not match (weakly)."""
    return _parse(header, weak_counts=True)


@dataclass(frozen=True)
class EntityTags:
    """``any`` for ``*``; otherwise the tags listed, strong and weak."""

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
    """A header as sent (or already parsed) → EntityTags; None when the header is absent or empty."""
    if header is None or isinstance(header, EntityTags):
        return header
    strong = parse_if_match(header)
    if strong is None:
        return None
    if strong == "*":
        return EntityTags(any=True)
    every = parse_if_none_match(header) or []
    return EntityTags(strong=frozenset(strong), weak=frozenset(every) - frozenset(strong))
