"""Calendar objects as DAV:responses, one string per object (PROPFIND Depth 1 and the REPORTs; issue 13).

``ObjectResponses`` decides once per request what a response for an object looks like:
which requested properties exist (the registry, ``props``), which are the same for every
object (rendered by lxml once, per read-only state) and which come from the object
(``props.object_prop``: ETag, size, last-modified, calendar-data). lxml serialises that
shape into a ``davxml.ResponseTemplate``; each object then only fills its slots with
escaped values. The objects are ``selectors.ObjectRow`` tuples read in chunks, or the
``CalendarObject``s a REPORT already holds: both have the same attributes.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from lxml import etree

from scheduler import selectors
from servicecreds.urls_for import quote_segment

from . import privacy
from .context import OBJECT, DavContext, Target
from .davxml import ResponseTemplate, element, inner, multistatus, response, slot
from .props import NotFound, ObjectText, Prop, resolve

ROW_FIELDS = ("etag", "size", "modified", "ical")
BATCH = 256  # objects rendered into one piece
# Names that ``urls_for.quote_segment`` leaves as they are (most: "<uid>.ics"), checked in one scan
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~@-]*")


def status_response(href: str, status: int) -> str:
    """A DAV:response with one status for ``href`` (a missing or deleted object, a truncated sync)."""
    root = multistatus()
    response(root, href, status=status)
    return inner(root)


# How each requested property of an object is answered
MISSING, NAME_ONLY, CONSTANT, FROM_OBJECT = "missing", "name", "constant", "object"


class ObjectResponses:
    """The DAV:responses of one request's objects: ``render(obj)`` for each, all alike in shape.

    ``loadable`` names the object fields this request can read (PROPFIND loads no iCalendar
    text, so calendar-data is a 404 there, as for a single object).
    """

    def __init__(self, ctx: DavContext, requested: Iterable[tuple[str, str]], *, allprop: bool = False,
                 names_only: bool = False, loadable: Iterable[str] = ROW_FIELDS) -> None:
        self.ctx = ctx
        self.resource = ctx.target.resource
        self.base = ctx.calendar_path(self.resource)
        loadable = set(loadable)
        self.texts: list[ObjectText] = []
        self.fields: set[str] = set()
        self._plan: list[tuple[str, str, Prop | None, str]] = []
        for ns, name, p in resolve(self._target(redacted=False), requested, allprop=allprop, names_only=names_only):
            if p is None:
                how = MISSING
            elif names_only:
                how = NAME_ONLY
            elif p.text is None:
                how = CONSTANT
            elif p.reads in loadable:
                how = FROM_OBJECT
                self.texts.append(p.text)
                self.fields.add(p.reads)
            else:
                how = MISSING
            self._plan.append((ns, name, p, how))
        self._templates: dict[bool, ResponseTemplate] = {}

    @property
    def streamable(self) -> bool:
        """False while calendar-data is shaped (expand may still be refused: ``ical.ExpansionLimit``)."""
        return not ("ical" in self.fields and self.ctx.extra.get("calendar_data"))

    def rows(self, names: Iterable[str] | None = None) -> Iterator[selectors.ObjectRow]:
        """The calendar's objects (or those named) as rows with the fields this request renders, as received (V1)."""
        return selectors.object_rows(
            self.resource, names=list(names) if names is not None else None, size="size" in self.fields,
            modified="modified" in self.fields, data="ical" in self.fields,
            levels=privacy.levels(self.ctx, self.resource))

    def rows_in_range(self, start: dt.datetime | None,
                      end: dt.datetime | None) -> tuple[list[selectors.ObjectRow], list[str]]:
        """The objects with an instance in [start, end) as rows (``rows``), and the names the occurrence
        table cannot decide (``selectors.object_rows_in_range``)."""
        return selectors.object_rows_in_range(
            self.resource, start, end, size="size" in self.fields, modified="modified" in self.fields,
            data="ical" in self.fields, levels=privacy.levels(self.ctx, self.resource))

    def render_all(self, objects: Iterable[Any]) -> Iterator[str]:
        """``render_many`` of the objects in batches, each joined (fewer, larger pieces for
        ``davxml.multistatus_body``)."""
        objects = iter(objects)
        while batch := list(itertools.islice(objects, BATCH)):
            yield "".join(self.render_many(batch))

    def render(self, obj: Any) -> str:
        """The object's DAV:response (``render_many`` of one)."""
        return self.render_many([obj])[0]

    def render_many(self, objects: Sequence[Any]) -> list[str]:
        """The objects' DAV:responses, in their order: each one's href segment and texts filled into the
        template of its kind (redacted or not), a column of values escaped at a time
        (``ResponseTemplate.fill_all``)."""
        ctx = self.ctx
        names = [obj.name for obj in objects]
        if not _UNRESERVED.fullmatch("".join(names)):  # a class of single characters: true of the join iff of each
            names = [name if _UNRESERVED.fullmatch(name) else quote_segment(name) for name in names]
        columns = [names, *[[text(ctx, obj) for obj in objects] for text in self.texts]]
        kinds = {obj.redacted for obj in objects}
        if len(kinds) == 1:
            return self._template_for(kinds.pop()).fill_all(columns)
        out: list[str] = [""] * len(objects)
        for redacted in kinds:  # two privacy levels in one calendar: each kind of object with its template
            at = [i for i, obj in enumerate(objects) if obj.redacted == redacted]
            filled = self._template_for(redacted).fill_all([[column[i] for i in at] for column in columns])
            for i, text in zip(at, filled, strict=True):
                out[i] = text
        return out

    def _template_for(self, redacted: bool) -> ResponseTemplate:
        return self._templates.get(redacted) or self._template(redacted)

    def _target(self, *, redacted: bool) -> Target:
        """An object of this calendar for the properties that do not depend on which object it is."""
        stub = selectors.ObjectRow("", "", None, None, None, redacted)
        return Target(OBJECT, slot(0), resource=self.resource, decision=self.ctx.target.decision, obj=stub)

    def _template(self, redacted: bool) -> ResponseTemplate:
        """The response shape for objects that are (not) redacted: privileges differ (RFC 3744, V1).

        A shape without constant properties depends on nothing but the calendar's path, the properties
        and ``minimal``: it is built once per process (``_plain_template``), not once per request."""
        if all(how != CONSTANT for *_, how in self._plan):
            plan = tuple((ns, name, how) for ns, name, _p, how in self._plan)
            template = _plain_template(self.base, self.ctx.minimal, plan)
        else:
            target = self._target(redacted=redacted)
            template = _build_template(self.base, self.ctx.minimal, self._plan,
                                       lambda p: _constant(self.ctx, target, p))
        self._templates[redacted] = template
        return template


def _build_template(base: str, minimal: bool, plan: Iterable[tuple[str, str, Any, str]],
                    constant: Callable[[Prop], etree._Element | None]) -> ResponseTemplate:
    """lxml serialises one response of ``plan``'s shape: an object's values as slots, constants rendered
    by ``constant``, 404 for the missing (left out if ``minimal``)."""
    out: dict[int, list[etree._Element]] = {}
    slots = 1  # slot 0 is the last segment of the href
    for ns, name, p, how in plan:
        el = None
        if how == FROM_OBJECT:
            el = element(ns, name, slot(slots))
            slots += 1
        elif how == CONSTANT:
            el = constant(p)
        elif how == NAME_ONLY:
            el = element(ns, name)
        if el is None:
            out.setdefault(404, []).append(element(ns, name))
        else:
            out.setdefault(200, []).append(el)
    if minimal:
        out.pop(404, None)
    root = multistatus()
    response(root, base + slot(0), out)  # the calendar's path serialised (and escaped) once, by lxml
    return ResponseTemplate(root, slots)


@functools.lru_cache(maxsize=256)
def _plain_template(base: str, minimal: bool, plan: tuple[tuple[str, str, str], ...]) -> ResponseTemplate:
    """``_build_template`` of a plan without constants, kept per process: a phone's week query, multiget
    or sync names the same few properties on every request (lxml built the shape in 0.1 ms of each, issue
    13). A ``ResponseTemplate`` is not changed after it is built, so threads share it."""
    return _build_template(base, minimal, ((ns, name, None, how) for ns, name, how in plan), _no_constant)


def _no_constant(p: Prop) -> etree._Element | None:
    raise AssertionError("a plain template has no constant properties")


def _constant(ctx: DavContext, target: Target, p: Prop) -> etree._Element | None:
    try:
        return p.render(ctx, target)
    except NotFound:
        return None
