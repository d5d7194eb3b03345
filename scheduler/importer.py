"""Importing a calendar export into one resource's calendar, through the one writer.

``manage.py import_ics`` and the admin's "Kalender importieren" call ``read_objects`` and
``import_objects``. An export of Google Calendar or Outlook is one VCALENDAR with many
VEVENTs; a folder (vdirsyncer, another CalDAV server's dump) holds one object per file.
Either way the components are grouped by UID: a series' master and its RECURRENCE-ID
overrides become one object (RFC 4791 §4.1), carrying the VTIMEZONEs they use.

The split works on content lines (icalendar's own lexer), so every property of an event
reaches the stored object as it was in the file; a file that already is one object is
imported byte for byte, like a phone's PUT. ``METHOD`` and the calendar's own properties
(``X-WR-CALNAME``, ...) are dropped: a stored object must not carry them (RFC 4791 §4.1).

Idempotent by UID: an object whose UID is in the calendar already updates that appointment,
or is skipped as unchanged when its text is the stored one. Every refusal is the writer's
(``scheduler.exceptions``) and is reported with its sentence; one bad event never stops the
rest. Each batch is one call of the batch writer (``services.store_many``): one transaction,
the calendar locked once, every object judged by the same rules as a phone's PUT and the new
ones written in one statement per table, so a large import is fast and each batch
all-or-nothing against crashes, while a refused object is only left out.
"""

from __future__ import annotations

import dataclasses
import functools
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _
from icalendar.parser import Contentline

from branches import scope

from . import ical, services
from .exceptions import AppointmentRefused, InvalidCalendarData, InvalidObject, UnsupportedComponent
from .models import Appointment, Booking, Door, Resource

SOURCE = Appointment.Source.IMPORT
CHANGED_BY = "import"
BATCH_SIZE = 200
KEPT_CALENDAR_PROPERTIES = ("VERSION", "PRODID", "CALSCALE")
TZID_PROPERTIES = ("DTSTART", "DTEND", "DUE", "RECURRENCE-ID", "EXDATE", "RDATE")

Progress = Callable[[int, int], None]


@dataclasses.dataclass
class ImportObject:
    """One calendar object to import: its UID, its iCalendar text and where it came from."""

    uid: str
    text: str
    origin: str


@dataclasses.dataclass
class Skipped:
    origin: str
    uid: str
    reason: str


@dataclasses.dataclass
class ImportReport:
    """What an import did; ``skipped`` names each object left out and the writer's reason."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    flagged: int = 0  # stored, but double-booking a resource (P2: flagged, not refused)
    skipped: list[Skipped] = dataclasses.field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged + len(self.skipped)

    def reasons(self) -> list[tuple[str, int]]:
        """The reasons for skipping, most frequent first."""
        return Counter(s.reason for s in self.skipped).most_common()

    def summary(self) -> str:
        return _("%(created)d angelegt, %(updated)d aktualisiert, %(unchanged)d unverändert, "
                 "%(skipped)d übersprungen.") % {"created": self.created, "updated": self.updated,
                                                  "unchanged": self.unchanged, "skipped": len(self.skipped)}


class ImportRefused(Exception):
    """The user may not import into this resource's calendar at all (scope or permissions)."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


@dataclasses.dataclass(frozen=True)
class Rights:
    add: bool
    change: bool


def rights_of(user, resource: Resource) -> Rights:
    """B1, A2: an import writes appointments of the resource's branch, so the user must administer
    that branch and may add (new UIDs) or change (known UIDs) appointments. ``None``: the
    operator at the shell (``manage.py``), who may do everything."""
    if user is None:
        return Rights(True, True)
    if not scope.can_administer(user, resource.branch_id):
        raise ImportRefused(_("Die Ressource „%(name)s“ gehört zu keiner Ihrer Filialen.") % {"name": resource.name})
    rights = Rights(user.has_perm("scheduler.add_appointment"), user.has_perm("scheduler.change_appointment"))
    if not (rights.add or rights.change):
        raise ImportRefused(_("Sie dürfen keine Termine anlegen oder ändern."))
    return rights


# --- reading: files, folders and stdin into objects grouped by UID ------------------------------


@dataclasses.dataclass
class _Line:
    """One content line: unfolded (to read its name and value) and as the file folded it (to keep)."""

    text: str
    raw: str

    @functools.cached_property
    def name(self) -> str:
        return self.text.split(":", 1)[0].split(";", 1)[0].strip().upper()

    def parts(self) -> tuple[str, dict, str] | None:
        try:
            return Contentline(self.text).parts()
        except ValueError:
            return None

    @property
    def value(self) -> str:
        parts = self.parts()
        return parts[2] if parts else self.text.split(":", 1)[-1]

    @property
    def tzid(self) -> str | None:
        if "TZID=" not in self.text.upper():
            return None
        parts = self.parts()
        tzid = parts[1].get("TZID") if parts else None
        return str(tzid) if tzid else None


def content_lines(text: str) -> Iterator[_Line]:
    """RFC 5545 §3.1: a line starting with a space or tab continues the one before (CRLF or LF)."""
    text = ical.without_bom(text)
    physical = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    current: list[str] = []
    for line in physical:
        if line[:1] in (" ", "\t") and current:
            current.append(line)
            continue
        if current:
            yield _Line(current[0] + "".join(c[1:] for c in current[1:]), "\r\n".join(current))
        current = [line] if line.strip() else []
    if current:
        yield _Line(current[0] + "".join(c[1:] for c in current[1:]), "\r\n".join(current))


@dataclasses.dataclass(eq=False)
class _Component:
    name: str
    lines: list[_Line]
    uid: str = ""
    tzids: list[str] = dataclasses.field(default_factory=list)

    def describe(self, line: _Line) -> None:
        """Note the UID and the TZIDs referred to (on the component's own level; VALARMs carry none)."""
        name = line.name
        if name == "UID" and not self.uid:
            self.uid = line.value.strip()
        elif name == "TZID" and self.name == "VTIMEZONE" and not self.uid:
            self.uid = line.value.strip()  # a VTIMEZONE is filed under its TZID
        elif name in TZID_PROPERTIES:
            tzid = line.tzid
            if tzid and tzid not in self.tzids:
                self.tzids.append(tzid)


@dataclasses.dataclass(eq=False)
class _Source:
    """One file split into its calendar properties and top-level components."""

    origin: str
    text: str
    header: list[_Line]
    components: list[_Component]
    has_method: bool = False

    @functools.cached_property
    def is_one_object(self) -> bool:
        """The file is a calendar object as a CalDAV server stores it: import its bytes unchanged."""
        uids = {c.uid for c in self.components if c.name == "VEVENT"}
        return (len(uids) == 1 and not self.has_method
                and all(c.name in ("VEVENT", "VTIMEZONE") for c in self.components))


def split_text(text: str, origin: str) -> _Source:
    """The calendar properties and top-level components of an export, line by line."""
    source = _Source(origin, text, [], [])
    depth, current = 0, None
    for line in content_lines(text):
        name = line.name
        if name == "BEGIN":
            depth += 1
            if depth == 2:
                current = _Component(line.value.strip().upper(), [])
        elif name == "END":
            depth -= 1
            if depth == 1 and current is not None:
                current.lines.append(line)
                source.components.append(current)
                current = None
                continue
        if current is not None:
            current.lines.append(line)
            if depth == 2:
                current.describe(line)
        elif depth == 1 and name in KEPT_CALENDAR_PROPERTIES:
            source.header.append(line)
        elif depth == 1 and name == "METHOD":
            source.has_method = True
    if depth != 0 or current is not None:
        raise ValueError("BEGIN and END do not match")
    return source


def _build(header: list[_Line], timezones: list[_Component], events: list[_Component]) -> str:
    """One calendar object: the export's VERSION/PRODID/CALSCALE, the zones used, the master first.
    Every line is written as the file folded it."""
    names = {line.name for line in header}
    lines = ["BEGIN:VCALENDAR"]
    if "VERSION" not in names:
        lines.append("VERSION:2.0")
    if "PRODID" not in names:
        lines.append(f"PRODID:{ical.PRODID}")
    lines.extend(line.raw for line in header)
    for comp in timezones + sorted(events, key=lambda c: any(x.name == "RECURRENCE-ID" for x in c.lines)):
        lines.extend(line.raw for line in comp.lines)
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"


@dataclasses.dataclass
class _Group:
    events: list[_Component]
    sources: list[_Source]


def objects_from_sources(sources: Iterable[_Source]) -> tuple[list[ImportObject], list[Skipped]]:
    """Group the events of all sources by UID; a source that already is one object is kept as it is."""
    groups: dict[str, _Group] = {}
    zones: dict[str, _Component] = {}
    skipped: list[Skipped] = []
    for source in sources:
        for comp in source.components:
            if comp.name == "VTIMEZONE":
                zones.setdefault(comp.uid, comp)
            elif comp.name != "VEVENT":
                skipped.append(Skipped(source.origin, comp.uid, UnsupportedComponent().message))
            elif not comp.uid:
                skipped.append(Skipped(source.origin, "", InvalidObject().message))
            else:
                group = groups.setdefault(comp.uid, _Group([], []))
                group.events.append(comp)
                if not group.sources or group.sources[-1] is not source:
                    group.sources.append(source)
    objects = []
    for uid, group in groups.items():
        source = group.sources[0]
        if len(group.sources) == 1 and source.is_one_object:
            text = source.text
        else:
            tzids = list(dict.fromkeys(t for ev in group.events for t in ev.tzids))
            text = _build(source.header, [zones[t] for t in tzids if t in zones], group.events)
        objects.append(ImportObject(uid, text, source.origin))
    return objects, skipped


def read_source(path: str) -> Iterator[tuple[str, str | bytes]]:
    """(origin, content) of a file, of every ``.ics`` file in a folder (sorted), or of stdin (``-``)."""
    if path == "-":
        yield "stdin", sys.stdin.buffer.read()
        return
    p = Path(path)
    files = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() == ".ics") if p.is_dir() else [p]
    for f in files:
        yield str(f), f.read_bytes()


def read_objects(contents: Iterable[tuple[str, str | bytes]]) -> tuple[list[ImportObject], list[Skipped]]:
    """Objects to import from (origin, content) pairs; a file that cannot be read is skipped with why."""
    sources, skipped = [], []
    for origin, content in contents:
        try:
            text = content.decode("utf-8") if isinstance(content, bytes) else content
            source = split_text(text, origin)
        except (UnicodeDecodeError, ValueError) as exc:
            reason = InvalidCalendarData(_("Die iCalendar-Daten sind nicht lesbar: %(err)s"), err=str(exc)[:200])
            skipped.append(Skipped(origin, "", reason.message))
            continue
        if not source.components:
            skipped.append(Skipped(origin, "", InvalidCalendarData().message))
        sources.append(source)
    objects, refused = objects_from_sources(sources)
    return objects, skipped + refused


# --- writing: batches through the one writer --------------------------------------------------


def import_objects(resource: Resource, objects: list[ImportObject], *, user=None, batch_size: int = BATCH_SIZE,
                   progress: Progress | None = None, report: ImportReport | None = None) -> ImportReport:
    """Create or update an appointment per object in ``resource``'s calendar (see the module's doc)."""
    rights = rights_of(user, resource)
    report = report or ImportReport()
    changed_by = f"{CHANGED_BY}: {user.get_username()}" if user is not None else CHANGED_BY
    actor = services.Actor(door=Door.IMPORT, user=user)  # the history: who imported, through the import door
    done = 0
    for start in range(0, len(objects), batch_size):
        batch = objects[start:start + batch_size]
        with transaction.atomic():
            known = {b.uid: b.appointment for b in Booking.objects.active().select_related("appointment")
                     .filter(resource=resource, uid__in=[o.uid for o in batch])}
            todo = [(obj, item) for obj in batch
                    if (item := _item(obj, known.get(obj.uid), rights, report)) is not None]
            results = services.store_many(resource, [item for _obj, item in todo], actor=actor,
                                          changed_by=changed_by, source=SOURCE)
        for (obj, _written), result in zip(todo, results, strict=True):
            _count(obj, result, report)
        done += len(batch)
        if progress is not None:
            progress(done, len(objects))
    return report


def _item(obj: ImportObject, appt: Appointment | None, rights: Rights,
          report: ImportReport) -> services.BatchItem | None:
    """What to write of one object: None when it is unchanged or the user may not write it (reported)."""
    if appt is not None and appt.etag == ical.etag_for(obj.text):
        report.unchanged += 1
        return None
    if not (rights.add if appt is None else rights.change):
        reason = _("Sie dürfen keine Termine anlegen.") if appt is None else _("Sie dürfen keine Termine ändern.")
        report.skipped.append(Skipped(obj.origin, obj.uid, reason))
        return None
    if appt is None:  # new: if another writer created this UID meanwhile, it is not overwritten
        return services.BatchItem(obj.text, obj.uid, if_none_match="*")
    return services.BatchItem(obj.text, obj.uid, if_match=appt.etag)


def _count(obj: ImportObject, result: services.BatchResult, report: ImportReport) -> None:
    """One object's outcome in the report: created, updated (flagged if double-booking) or skipped and why."""
    if isinstance(result.error, AppointmentRefused):
        report.skipped.append(Skipped(obj.origin, obj.uid, result.error.message))
    elif result.error is not None:  # icalendar on input no rule foresaw: still only this one
        reason = InvalidCalendarData(_("Die iCalendar-Daten sind nicht lesbar: %(err)s"), err=str(result.error)[:200])
        report.skipped.append(Skipped(obj.origin, obj.uid, reason.message))
    else:
        report.created += result.created
        report.updated += not result.created
        report.flagged += bool(result.appointment.has_conflict)
