"""sync-collection (RFC 6578) on the per-resource change log.

- empty token: every object, and the token of the revision read *before* listing
  (a change racing the listing is reported again next time, never lost);
- valid token: exactly the changes since, collapsed per object; deletions (also
  moves off this resource) as 404;
- unknown, foreign or pruned token: 403 valid-sync-token, so the client starts over
  (never a partial list: nextcloud/server#36644);
- DAV:limit: only that many objects, the token of the part actually sent, and a
  507 response for the collection (RFC 6578 §3.6; sabre/dav PR #1248). An initial
  sync larger than the limit is refused with 507 number-of-matches-within-limits,
  since a snapshot cannot be paged by revision.
"""

from __future__ import annotations

import itertools
import re

from django.http import HttpResponse
from lxml import etree

from scheduler import selectors
from scheduler.models import Resource

from .. import health, privacy, sync
from ..context import DavContext
from ..davxml import DAV, inner, multistatus, multistatus_body, sub
from ..errors import DavError
from ..listing import ObjectResponses, status_response
from .common import calendar_only, requested

NRESULTS = re.compile(r"[0-9]{1,9}")  # ASCII digits; more than 10^9 results is no limit anyway


def _limit(root: etree._Element) -> int | None:
    el = root.find(f"{{{DAV}}}limit/{{{DAV}}}nresults")
    if el is None:
        return None
    text = (el.text or "").strip()
    if not NRESULTS.fullmatch(text):
        raise DavError(400, message="DAV:nresults must be a positive number")
    value = int(text)
    if value < 1:
        raise DavError(400, message="DAV:nresults must be positive")
    return value


def handle(ctx: DavContext, root: etree._Element) -> HttpResponse:
    calendar_only(ctx)
    health.note_sync(ctx.credential)
    resource = ctx.target.resource
    token_el = root.find(f"{{{DAV}}}sync-token")
    token = (token_el.text or "").strip() if token_el is not None else ""
    limit = _limit(root)
    names, _with_data = requested(ctx, root)
    objects = ObjectResponses(ctx, names)
    if not token:
        return _initial(ctx, objects, limit)
    since = sync.parse_sync_token(token, resource)
    if since is None:
        raise DavError(403, (DAV, "valid-sync-token"), "unknown, foreign or expired sync token")
    latest: dict[str, str] = {}
    reached, truncated = since, False
    for change in selectors.changes_since(resource, since):
        if limit is not None and change["name"] not in latest and len(latest) >= limit:
            truncated = True
            break
        latest[change["name"]] = change["op"]
        reached = change["revision"]
    alive = [name for name, op in latest.items() if op != "deleted"]
    found = selectors.objects_changed(resource, alive, since, reached, with_data="ical" in objects.fields,
                                      redacted=privacy.may_redact(ctx, resource)) if alive else {}
    found = {o.name: o for o in privacy.received(ctx, resource, found.values())}
    pieces = [objects.render(found[name]) if op != "deleted" and name in found
              else status_response(ctx.object_path(resource, name), 404) for name, op in latest.items()]
    if truncated:
        pieces.append(status_response(ctx.target.path, 507))
    pieces.append(_token(resource, reached if truncated else max(reached, sync.current_revision(resource))))
    return multistatus_body(pieces, stream=objects.streamable)


def _initial(ctx: DavContext, objects: ObjectResponses, limit: int | None) -> HttpResponse:
    """Every object, then the token of the revision read before listing (the resource as resolved)."""
    resource = ctx.target.resource
    current = sync.current_revision(resource)  # before the listing: a write meanwhile is in the next sync
    if limit is not None and selectors.object_count(resource) > limit:
        raise DavError(507, (DAV, "number-of-matches-within-limits"),
                       "the initial sync has more objects than the limit")
    return multistatus_body(itertools.chain(objects.render_all(objects.rows()), (_token(resource, current),)),
                            stream=objects.streamable)


def _token(resource: Resource, revision: int) -> str:
    root = multistatus()
    sub(root, DAV, "sync-token", sync.sync_token(resource, revision))
    return inner(root)
