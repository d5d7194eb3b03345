"""Who changed what (issue 12): an appointment's history, as the one writer records it.

``scheduler.services`` calls ``record`` inside the transaction of every write (create, change,
move, delete, restore, a phone's PUT and DELETE), with the ``Actor`` the door passed in. So the
history can never miss a write the calendars saw, nor show one that was rolled back.

An entry holds the appointment *after* the write (``snapshot``: the stored iCalendar text as it
was, the booked resources, the modelled customer and type) and the field-level difference to the
state before (``changes``). The snapshot is what "Diese Version wiederherstellen" writes back,
again through the writer (``services.restore_version``), so phones get it through the ordinary
change log like any other change.

Why not ``django-simple-history``: it copies model rows on ``save()`` and takes the acting user
from the request thread. Here an appointment's state is the stored iCalendar object *plus* its
bookings (a through table), the writer moves rows with ``update()`` under locks, and the actor
of a phone is a service credential and its device, not a Django user. A shadow copy of every
column would also duplicate the redacted texts. One small model written by the writer fits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from . import ical
from .models import CUSTOMER_FIELDS, Appointment, AppointmentVersion, Door, Resource

DEFAULT_KEEP_DAYS = 365
# The modelled fields a change is reported for, in the order a reader expects them.
TIME_FIELDS = ("start", "end", "all_day", "rrule", "timezone")
TEXT_FIELDS = ("title", "status", "place", "notes")
TRACKED = (*TIME_FIELDS, "resources", *TEXT_FIELDS, "appointment_type", *CUSTOMER_FIELDS)
# Reported when only something no modelled field shows changed in the stored object (an alarm, one
# moved instance of a series, an attendee): "something else changed", without values. (Next to a
# modelled change it is not listed: comparing objects costs two parses, and the snapshot has it all.)
OTHER = "ical"
# What every write of the scheduler itself renews (RFC 5545 §3.8.7): no change a reader cares about.
BOOKKEEPING = ("DTSTAMP", "LAST-MODIFIED", "SEQUENCE")
MAX_DEVICE = 300


@dataclass(frozen=True)
class Actor:
    """Who writes, as a door knows it: a login (admin, planner, API) or a service credential and its device.

    ``door`` is one of ``models.Door``. A write without an actor is recorded as "system"
    (``loaddemo``, a shell, a signal).
    """

    door: str = Door.SYSTEM
    user: Any = None
    credential: Any = None
    device: str = ""

    @classmethod
    def of_request(cls, request: Any, door: str) -> Actor:
        """The logged-in user of an admin, planner or API request, and the browser or client it came with."""
        user = getattr(request, "user", None)
        return cls(door=door, user=user if getattr(user, "is_authenticated", False) else None,
                   device=request.META.get("HTTP_USER_AGENT", "")[:MAX_DEVICE])

    @classmethod
    def of_phone(cls, credential: Any, user_agent: str = "") -> Actor:
        """A phone's write: the service credential and the client's User-Agent (which app, which device)."""
        return cls(door=Door.PHONE, credential=credential, user=getattr(credential, "user", None),
                   device=(user_agent or "")[:MAX_DEVICE])

    @property
    def name(self) -> str:
        if self.credential is not None:
            return self.credential.username
        return self.user.get_username() if self.user is not None else ""

    @property
    def changed_by(self) -> str:
        """The appointment's "zuletzt geändert von" text, as the doors wrote it before actors existed."""
        if not self.name:
            return ""
        if self.door == Door.PHONE:
            return f"CalDAV: {self.name}"
        if self.door == Door.API:
            return f"API: {self.name}"
        return self.name


SYSTEM = Actor()


def _instant(value: dt.datetime | None) -> str | None:
    """Instants compared and stored in UTC: the same time read back from the database must not differ."""
    return value.astimezone(dt.UTC).isoformat() if value is not None else None


def snapshot(appt: Appointment, resources: Iterable[Resource], *, deleted: bool = False) -> dict:
    """The appointment as written: enough to write it back (``restorable``) and to compare (``diff``)."""
    kind = appt.appointment_type
    return {
        "ical": appt.ical,
        "resources": [{"id": r.pk, "name": r.name} for r in sorted(resources, key=lambda r: r.pk)],
        "appointment_type": {"id": kind.pk, "name": kind.name} if kind is not None else None,
        "start": _instant(appt.start), "end": _instant(appt.end), "all_day": appt.all_day,
        "rrule": appt.rrule, "timezone": appt.timezone,
        **{name: getattr(appt, name) for name in (*TEXT_FIELDS, *CUSTOMER_FIELDS)},
        "deleted": deleted,
    }


def _shown(snap: dict, name: str) -> Any:
    """A tracked field's value as the history shows it (resources and type by name)."""
    value = snap.get(name)
    if name == "resources":
        return [r["name"] for r in value or []]
    if name == "appointment_type":
        return value["name"] if value else None
    return value


def _compared(snap: dict, name: str) -> Any:
    """A tracked field's value as compared (resources and type by id: a rename is no change)."""
    value = snap.get(name)
    if name == "resources":
        return [r["id"] for r in value or []]
    if name == "appointment_type":
        return value["id"] if value else None
    return value


def diff(before: dict | None, after: dict) -> list[dict]:
    """Field-level changes from ``before`` (None: created) to ``after``: ``{"field", "old", "new"}``."""
    changes = []
    for name in TRACKED:
        if before is not None and _compared(before, name) == _compared(after, name):
            continue
        new = _shown(after, name)
        if before is None and new in (None, "", [], False):
            continue  # a new appointment: only what it has
        changes.append({"field": name, "old": None if before is None else _shown(before, name), "new": new})
    if (before is not None and not changes and before.get("ical") != after.get("ical")
            and _content(before.get("ical")) != _content(after.get("ical"))):  # equal texts: no parse
        changes.append({"field": OTHER, "old": None, "new": None})
    return changes


def _content(text: str | None) -> str | None:
    """The object without its bookkeeping properties (only parsed when no modelled field changed)."""
    if not text:
        return text
    try:
        cal = ical.parse(text)
    except Exception:  # stored objects passed the contract; an old broken one just compares as text
        return text
    for ev in ical.events(cal):
        for prop in BOOKKEEPING:
            ev.pop(prop, None)
    return ical.serialize(cal)


def record(appt: Appointment, *, action: str, actor: Actor | None, before: dict | None, after: dict,
           restored_from: AppointmentVersion | None = None) -> AppointmentVersion | None:
    """Append one history entry (the writer calls this inside its transaction).

    A write that changed nothing (the same object saved again) leaves no entry, unless it was a
    person's "Diese Version wiederherstellen" (``restored_from``), which is always on record.
    """
    version = entry(appt, action=action, actor=actor, before=before, after=after, restored_from=restored_from)
    if version is not None:
        version.save(force_insert=True)
    return version


def entry(appt: Appointment, *, action: str, actor: Actor | None, before: dict | None, after: dict,
          restored_from: AppointmentVersion | None = None) -> AppointmentVersion | None:
    """The history entry ``record`` appends, not saved yet (a batch writes its entries in one statement)."""
    changes = diff(before, after)
    if action == AppointmentVersion.Action.CHANGED and not changes and restored_from is None:
        return None
    actor = actor or SYSTEM
    return AppointmentVersion(
        appointment=appt, at=timezone.now(), action=action, door=actor.door, user=actor.user,
        credential=actor.credential, actor_name=actor.name[:150], device=actor.device[:MAX_DEVICE],
        changes=changes, snapshot=after, restored_from=restored_from)


@dataclass
class Restorable:
    """What writing a version back needs: the object, the resources, the modelled customer and type."""

    ical: str
    resource_ids: list[int]
    appointment_type_id: int | None
    customer: dict[str, str] = field(default_factory=dict)


def restorable(version: AppointmentVersion, current_ical: str) -> Restorable:
    """A version as the writer takes it back; its SEQUENCE is raised above the current one.

    RFC 5545 §3.8.7.4: a revision gets a higher SEQUENCE. Writing the old number back would make
    the restored object look older than the one it replaces to a client that compares them.
    """
    snap = version.snapshot
    kind = snap.get("appointment_type")
    return Restorable(
        ical=_with_sequence_after(snap["ical"], current_ical),
        resource_ids=[r["id"] for r in snap.get("resources", [])],
        appointment_type_id=kind["id"] if kind else None,
        customer={name: snap.get(name) or "" for name in CUSTOMER_FIELDS})


def _sequence(cal: Any) -> int:
    return max((int(ev.get("SEQUENCE", 0)) for ev in ical.events(cal)), default=0)


def _with_sequence_after(old_text: str, current_text: str) -> str:
    old, current = ical.parse(old_text), ical.parse(current_text)
    wanted = max(_sequence(old), _sequence(current)) + 1
    for ev in ical.events(old):
        ev.pop("SEQUENCE", None)
        ev.add("SEQUENCE", wanted)
    return ical.serialize(old)


def keep_days() -> int:
    return int(getattr(settings, "HISTORY_KEEP_DAYS", DEFAULT_KEEP_DAYS))


def prune(days: int | None = None, *, now: dt.datetime | None = None) -> int:
    """Delete entries older than ``days`` (default ``HISTORY_KEEP_DAYS``); the newest of each appointment stays.

    Entries of one appointment are appended under its row lock, so the highest primary key is its
    newest entry. Returns the number deleted.
    """
    days = keep_days() if days is None else days
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    newest = (AppointmentVersion.objects.order_by().values("appointment").annotate(newest=Max("pk"))
              .values("newest"))
    deleted, _ = AppointmentVersion.objects.filter(at__lt=cutoff).exclude(pk__in=newest).delete()
    return deleted
