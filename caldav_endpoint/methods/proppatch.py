"""PROPPATCH (RFC 4918 §9.2): name, colour and order of a calendar, per credential; all or nothing.

iOS sends one during account set-up; refusing the whole request would fail it,
so every property gets its own status (403 for the ones we do not store, 424
for the rest when anything failed).
"""

from __future__ import annotations

import re

from django.http import HttpResponse
from lxml import etree

from ..context import CALENDAR, DavContext
from ..davxml import DAV, ICAL, element, multistatus, parse_request_body, response, split, xml_response
from ..errors import DavError
from ..models import CalendarPreference

WRITABLE = {(DAV, "displayname"): "displayname", (ICAL, "calendar-color"): "color",
            (ICAL, "calendar-order"): "order"}
COLOR = re.compile(r"#[0-9A-Fa-f]{6}([0-9A-Fa-f]{2})?")
ORDER = re.compile(r"[+-]?[0-9]{1,10}")  # ASCII only: int() would also take "١٢" or "1_0"
ORDER_RANGE = (-(2**31), 2**31 - 1)  # CalendarPreference.order is an IntegerField
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # PostgreSQL text cannot hold NUL at all


def _value(key: tuple[str, str], el: etree._Element | None) -> str | int | None:
    """The value to store, or ValueError (a 409 propstat for this property, RFC 4918 §9.2.1)."""
    text = (el.text or "").strip() if el is not None else ""
    field = WRITABLE[key]
    if field == "color":
        if text and not COLOR.fullmatch(text):
            raise ValueError
        return text
    if field == "order":
        if not text:
            return None
        if not ORDER.fullmatch(text) or not ORDER_RANGE[0] <= int(text) <= ORDER_RANGE[1]:
            raise ValueError
        return int(text)
    if CONTROL.search(text):
        raise ValueError
    return text[:200]


def operations(root: etree._Element | None) -> list[tuple[str, tuple[str, str], etree._Element]]:
    """(op, property name, element) in document order; op is "set" or "remove"."""
    if root is None or split(root.tag) != (DAV, "propertyupdate"):
        raise DavError(400, message="expected DAV:propertyupdate")
    ops = []
    for action in root:
        kind = split(action.tag)
        if kind not in ((DAV, "set"), (DAV, "remove")):
            continue
        for prop in action.findall(f"{{{DAV}}}prop"):
            for el in prop:
                ops.append((kind[1], split(el.tag), el))
    return ops


def handle(ctx: DavContext) -> HttpResponse:
    ops = operations(parse_request_body(ctx.request))
    results: dict[tuple, int] = {}
    updates = {}
    for op, key, el in ops:
        if ctx.target.kind != CALENDAR or key not in WRITABLE:
            results[key] = 403
            continue
        try:
            updates[WRITABLE[key]] = _value(key, el if op == "set" else None)
            results[key] = 200
        except ValueError:
            results[key] = 409
    failed = any(code != 200 for code in results.values())
    if failed:
        results = {k: (424 if v == 200 else v) for k, v in results.items()}
    elif updates:
        pref, _ = CalendarPreference.objects.get_or_create(credential=ctx.credential,
                                                           resource=ctx.target.resource)
        for field, value in updates.items():
            setattr(pref, field, value)
        pref.save()
    grouped: dict[int, list] = {}
    for (ns, name), code in results.items():
        grouped.setdefault(code, []).append(element(ns, name))
    ms = multistatus()
    response(ms, ctx.target.path, grouped)
    return xml_response(ms)


