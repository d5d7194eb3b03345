"""How an appointment's history reads (issue 12): the admin's table and the planner's short list.

One place turns the writer's entries (``scheduler.history``) into sentences, so the admin page and
the planner's popover say the same. Customer data is health data (V1): a user without "Kundendaten
sehen" sees that a customer field changed, never its values, and a title that carries the
customer's name ("Sehtest – Erika Mustermann") shows the name as "…".
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .history import OTHER
from .models import CUSTOMER_FIELDS, VIEW_CUSTOMER_DATA, Appointment, AppointmentVersion, Door

HIDDEN = "…"
TIME_VALUES = ("start", "end")


@dataclass
class Line:
    """One changed field: its label and the old and new value as text ("" for none: a new appointment's)."""

    field: str
    label: str
    old: str
    new: str


@dataclass
class Entry:
    """One history entry as shown: Zeit, Wer, Weg, Änderungen, and whether it can be restored."""

    pk: int
    at: str
    kind: str  # AppointmentVersion.Action
    action: str
    who: str
    device: str
    door: str
    lines: list[Line] = field(default_factory=list)
    restorable: bool = False

    @property
    def summary(self) -> str:
        """The changed fields in a few words (the planner's short list); else what happened."""
        if self.kind != AppointmentVersion.Action.CHANGED:
            return self.action
        return ", ".join(line.label for line in self.lines) or self.action


def _zone(appt: Appointment) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(appt.timezone or "Europe/Berlin")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("Europe/Berlin")


def when(version: AppointmentVersion) -> str:
    return date_format(version.at.astimezone(_zone(version.appointment)), "DATETIME_FORMAT")


def label(name: str) -> str:
    if name == "resources":
        return _("Ressourcen")
    if name == OTHER:
        return _("Weitere Angaben (iCalendar)")
    return str(Appointment._meta.get_field(name).verbose_name)


def _text(name: str, value: Any, tz: zoneinfo.ZoneInfo) -> str:
    if value in (None, "", []):
        return "–"
    if name in TIME_VALUES:
        local = dt.datetime.fromisoformat(value).astimezone(tz)
        return date_format(local, "DATE_FORMAT" if local.time() == dt.time(0) else "DATETIME_FORMAT")
    if isinstance(value, bool):
        return _("ja") if value else _("nein")
    if name == "status":
        return str(Appointment.Status(value).label) if value in Appointment.Status.values else value
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


class _Masker:
    """Hides customer values from a user without "Kundendaten sehen"."""

    def __init__(self, user: Any, versions: list[AppointmentVersion]):
        self.hide = not (user is not None and user.has_perm(VIEW_CUSTOMER_DATA))
        names = {(v.snapshot or {}).get("customer_name") or "" for v in versions}
        self.names = sorted((n for n in names if n.strip()), key=len, reverse=True)

    def __call__(self, name: str, text: str) -> str:
        if not self.hide or text in ("", "–"):
            return text
        if name in CUSTOMER_FIELDS:
            return HIDDEN
        for customer in self.names:
            text = text.replace(customer, HIDDEN)
        return text


def _lines(version: AppointmentVersion, tz: zoneinfo.ZoneInfo, mask: _Masker) -> list[Line]:
    lines = []
    for change in version.changes or []:
        name = change.get("field", "")
        old, new = _text(name, change.get("old"), tz), _text(name, change.get("new"), tz)
        if name == OTHER:
            old = new = ""
        elif version.action == AppointmentVersion.Action.CREATED:
            old = ""  # nothing before: "Titel: Sehtest", not "Titel: – → Sehtest"
        lines.append(Line(name, label(name), mask(name, old), mask(name, new)))
    return lines


def entries(appt: Appointment, user: Any, *, limit: int | None = None) -> list[Entry]:
    """The appointment's history, newest first, as ``user`` may see it.

    Every entry but the newest of a living appointment (that one is what it is now) offers
    "Diese Version wiederherstellen".
    """
    versions = list(appt.versions.order_by("-pk"))
    tz, mask = _zone(appt), _Masker(user, versions)
    shown = versions[:limit] if limit else versions
    out = []
    for i, version in enumerate(shown):
        version.appointment = appt
        out.append(Entry(
            pk=version.pk, at=when(version), kind=version.action, action=str(version.get_action_display()),
            # the phone's client is worth a line ("DAVx5 4.4"); a browser's User-Agent is stored, not shown
            who=version.actor_name or _("System"), device=version.device if version.door == Door.PHONE else "",
            door=str(Door(version.door).label) if version.door in Door.values else version.door,
            lines=_lines(version, tz, mask),
            restorable=bool(version.snapshot.get("ical")) and (i > 0 or appt.deleted_at is not None)))
    return out
