"""The only writer of appointments.

The admin, the planner, ``loaddemo``, the CalDAV endpoint and the REST API all
create, change, move and delete appointments through these functions. Each runs
in one transaction that also appends the per-resource change log (``Change``),
so a phone's sync token can never see an appointment change without its entry.

Locking, in one order everywhere (deadlock-free): first the rows of the
resources involved (``select_for_update``, by primary key), then the
appointment row. Every precondition (If-Match, If-None-Match, UID unique in a
calendar, "still exists") is checked *after* the locks are held, on rows read
under them: a check made before the lock would judge a version that may
already be gone. The database backs the UID rule with a unique index on active
bookings, so no interleaving can make a duplicate.

Each lock is taken once per write, and what was read under it is handed on (``_Held``): the
resource rows (their ``sync_revision`` numbers the change log without another read), the
appointment's bookings, the appointment row. The parsed object goes from the contract to the
index and the redaction; the ETag is computed from the bytes written, never read back. Occurrence
rows are only rewritten when the time index changed (``_occurrences_unchanged``). A batch
for one calendar (``store_many``, the importer's) applies the same rules per object and writes
the new rows in one statement per table.

Every write also appends the appointment's history (``scheduler.history``: who, through which
door, what changed, the version written) in the same transaction. A door says who it is with an
``Actor``; a write without one is recorded as "system".

Refusals are the exceptions of ``scheduler.exceptions``; doors translate them.
"""

from __future__ import annotations

import copy
import dataclasses
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import icalendar
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.models import Branch

from . import contract, history, ical, preconditions, redaction
from .compiled_query import CompiledQuery, columns, instances, int_placeholder, str_placeholder
from .exceptions import (
    AlreadyExists,
    AppointmentRefused,
    BookingConflict,
    DoesNotExist,
    InvalidCalendarData,
    PreconditionFailed,
    UidChanged,
    UidConflict,
)
from .history import Actor  # the doors' way to say who writes: ``services.Actor``
from .models import (
    Appointment,
    AppointmentType,
    AppointmentVersion,
    Booking,
    Change,
    Occurrence,
    Resource,
    object_name_for_uid,
)

IfMatch = str | preconditions.EntityTags | None  # a header as sent, or parsed
# What a write does when it would double-book a resource (P2).
REFUSE, FLAG = "refuse", "flag"


@dataclass
class WriteOptions:
    """How a door writes: its precondition, conflict handling and who it is (for the record).

    ``changed_by`` is the appointment's "zuletzt geändert von" text; without it the actor's is used.
    """

    if_match: str | preconditions.EntityTags | None = None
    on_conflict: str = FLAG
    changed_by: str = ""
    source: str | None = None
    names: dict[int, str] = field(default_factory=dict)
    actor: Actor | None = None
    restored_from: AppointmentVersion | None = None

    @property
    def who(self) -> str:
        return _who(self.changed_by, self.actor)


def _who(changed_by: str, actor: Actor | None) -> str:
    """The "zuletzt geändert von" text: as a door gave it, else the actor's (empty: keep the old one)."""
    return (changed_by or (actor.changed_by if actor else ""))[:150]


def _fields_of(appt: Appointment) -> ical.Fields:
    return ical.Fields(
        uid=appt.uid, title=appt.title, notes=appt.notes, place=appt.place, status=appt.status,
        all_day=appt.all_day, start=appt.start, end=appt.end, timezone=appt.timezone, rrule=appt.rrule,
    )


def _set_fields(appt: Appointment, f: ical.Fields) -> None:
    appt.uid = f.uid or appt.uid
    appt.title, appt.notes, appt.place, appt.status = f.title, f.notes, f.place, f.status
    appt.all_day, appt.start, appt.end, appt.timezone, appt.rrule = (
        f.all_day, f.start, f.end, f.timezone, f.rrule)


def _index(appt: Appointment, cal: icalendar.Calendar) -> ical.TimeIndex:
    try:
        idx = ical.index(cal, appt.timezone or appt.branch.timezone)
    except Exception as exc:  # icalendar and the expansion raise many types on broken input
        raise InvalidCalendarData(_("Die Wiederholungen lassen sich nicht berechnen: %(err)s"),
                                  err=str(exc)[:200]) from exc
    appt.first_start, appt.last_end, appt.occurrences_until = idx.first, idx.last, idx.complete_until
    appt.etag = ical.etag_for(appt.ical)
    appt.size = len(appt.ical.encode("utf-8"))
    appt.has_alarm = ical.has_alarm(appt.ical)
    return idx


def _redact(appt: Appointment, resources: list[Resource], cal: icalendar.Calendar | None = None) -> None:
    """V1: the object as colleagues' phones receive it, per level, stored beside ``ical`` with its ETag.

    ``cal`` is ``appt.ical`` already parsed (the writer's), so it is not parsed again."""
    rooms = ", ".join(sorted(r.name for r in resources if r.kind == Resource.Kind.LOCATION))
    variants = redaction.redacted_variants(
        appt.ical if cal is None else cal, type_name=appt.appointment_type.name if appt.appointment_type else "",
        room_name=rooms)
    appt.ical_no_customer = variants[redaction.Privacy.NO_CUSTOMER]
    appt.ical_busy = variants[redaction.Privacy.BUSY]
    appt.etag_no_customer = ical.etag_for(appt.ical_no_customer)
    appt.etag_busy = ical.etag_for(appt.ical_busy)


def write_occurrences(appt: Appointment, idx: ical.TimeIndex, *, replace: bool = True) -> None:
    """Rewrite the occurrence rows of an appointment (same transaction as the appointment)."""
    if replace:
        appt.occurrences.all().delete()
    Occurrence.objects.bulk_create([Occurrence.of(appt, s, e) for s, e in idx.spans],
                                   batch_size=1000)


IndexBounds = tuple[Any, Any, Any]  # an appointment's (first_start, last_end, occurrences_until)


def _bounds(appt: Appointment) -> IndexBounds:
    return appt.first_start, appt.last_end, appt.occurrences_until


def _occurrences_unchanged(appt: Appointment, idx: ical.TimeIndex, before: IndexBounds, old_text: str) -> bool:
    """Whether the stored occurrence rows are ``idx.spans`` already (most edits change no time: a title, a note).

    Index bounds other than the row had (``before``, read under its lock) mean other spans, with no
    read. Equal bounds of a single event that was a single event before (no RRULE, RDATE or
    RECURRENCE-ID in the old text: its one row spans exactly its bounds) need no read either; a
    series with equal bounds is confirmed by reading its rows (one statement instead of a delete and
    an insert). An endless series' bounds move with the horizon on every write, so it is rewritten.
    """
    if before != (idx.first, idx.last, idx.complete_until):
        return False
    if len(idx.spans) == 1 and not _MAY_REPEAT.search(old_text or ""):
        return True
    return list(appt.occurrences.order_by("start", "end").values_list("start", "end")) == sorted(idx.spans)


# Property names start a line (a folded line continues with a space); iCalendar names are case-insensitive.
_MAY_REPEAT = re.compile(r"^(?:RRULE|RDATE|RECURRENCE-ID)[;:]", re.MULTILINE | re.IGNORECASE)


def _lock_resources(ids: Iterable[int], held: dict[int, Resource] | None = None) -> dict[int, Resource]:
    """Lock resource rows in primary-key order: every writer takes them first, in this order.

    ``held`` are rows this transaction locked (and read) already: they are not locked again.
    Returns the held rows and the newly locked ones.
    """
    held = dict(held or {})
    ids = sorted(set(ids) - held.keys())
    if len(ids) == 1:  # a phone's PUT: one calendar
        held.update((r.pk, r) for r in instances(Resource, _LOCK_RESOURCE.rows(pk=ids[0])))
    elif ids:
        held.update((r.pk, r) for r in Resource.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    return held


# What every PUT reads, compiled once per process (``compiled_query``): building these querysets cost
# as much as running them (issue 13).
_LOCK_RESOURCE = CompiledQuery(
    lambda pk: Resource.objects.select_for_update().filter(pk=pk).values_list(*columns(Resource)),
    pk=int_placeholder(0))
# the bookings (removed ones too) of the appointment that ``name`` names in ``resource``'s calendar
_BOOKINGS_BY_NAME = CompiledQuery(
    lambda resource, name: Booking.objects.filter(appointment__in=Booking.objects.active().filter(
        resource_id=resource, name=name).values("appointment_id")).values_list(*columns(Booking)),
    resource=int_placeholder(0), name=str_placeholder("name"))


# the appointment row under lock with its branch and type, as select_related would join them: the
# queryset's building cost three times its statement, on every PUT (0.57 against 0.15 ms)
_RELATED = ((Appointment.branch.field, Branch), (Appointment.appointment_type.field, AppointmentType))
_LOCK_APPOINTMENT = CompiledQuery(
    lambda pk: Appointment.objects.select_for_update(of=("self",)).filter(pk=pk).order_by().values_list(
        *columns(Appointment), *[f"{fk.name}__{name}" for fk, model in _RELATED for name in columns(model)]),
    pk=int_placeholder(0))


def _locked_appointment(row: Sequence[Any]) -> Appointment:
    """A row of ``_LOCK_APPOINTMENT`` as the appointment with its branch and type (None without one) cached."""
    width = len(columns(Appointment))
    current = Appointment.from_db("default", columns(Appointment), row[:width])
    for fk, model in _RELATED:
        names = columns(model)
        values = row[width:width + len(names)]
        width += len(names)
        related = model.from_db("default", names, values) if values[0] is not None else None
        fk.set_cached_value(current, related)
    return current


def _log(resources: dict[int, Resource], entries: list[tuple[int, Appointment, str, str]],
         held: dict[int, Resource] | None = None) -> None:
    """Append change-log rows, numbering them per resource under the resource's row lock.

    ``held``: resource rows read under their lock in this transaction (their ``sync_revision`` is
    current), so they are neither locked nor read again.
    """
    if not entries:
        return
    locked = _lock_resources((e[0] for e in entries), held)
    locked = {rid: locked[rid] for rid in sorted({e[0] for e in entries})}
    rows = []
    for resource_id, appt, name, op in entries:
        res = locked[resource_id]
        res.sync_revision += 1
        rows.append(Change(resource=res, revision=res.sync_revision, appointment=appt, name=name, op=op))
    Change.objects.bulk_create(rows)
    for res in locked.values():
        Resource.objects.filter(pk=res.pk).update(sync_revision=res.sync_revision)
        if res.pk in resources:
            resources[res.pk].sync_revision = res.sync_revision


def check_if_match(current: Appointment, if_match: IfMatch) -> None:
    """RFC 9110 §13.1.1 on the row read under the lock: a stale ETag is a 412."""
    tags = preconditions.parse(if_match)
    if tags is not None and not tags.matches(current.etag):
        raise PreconditionFailed(current_etag=current.etag)


def _check_uid_free(uid: str, resources: Iterable[Resource], appt: Appointment | None,
                    booked: dict[int, Booking] | None = None, known: dict[str, Booking] | None = None) -> None:
    """RFC 4791 §4.1: a UID is unique within one calendar (not across calendars).

    A calendar where ``appt`` is booked already needs no look-up: its booking holds the UID there
    (the UID of an appointment never changes, and the database keeps it unique per calendar).
    ``known``: a batch's calendar's active bookings by UID, read under its lock (``store_many``).
    """
    ids = [r.pk for r in resources if booked is None or r.pk not in booked or booked[r.pk].deleted_at is not None]
    if not ids:
        return
    if known is not None:
        clash = known.get(uid)
    else:
        clash = (Booking.objects.active().filter(resource__in=ids, uid=uid)
                 .exclude(appointment=appt).select_related("resource").first())
    if clash:
        raise UidConflict(href=clash.name, resource=clash.resource)


def _active_resource_ids(appt_id: int) -> set[int]:
    return set(Booking.objects.filter(appointment_id=appt_id, deleted_at__isnull=True)
               .values_list("resource_id", flat=True))


def _bookings_under_lock(appt_id: int, held: dict[int, Resource], wanted: set[int],
                         first: dict[int, Booking] | None = None) -> tuple[dict[int, Resource], dict[int, Booking]]:
    """The appointment's bookings (removed ones too, by resource), read while every resource involved is locked.

    ``first`` is a read made under the ``held`` locks (a PUT's, found by the object name): when it
    needs no other lock it is the answer. Otherwise the missing resources are locked and the
    bookings read again under them.
    """
    bookings = first
    while True:
        if bookings is None:
            bookings = {b.resource_id: b for b in Booking.objects.filter(appointment_id=appt_id)}
        needed = wanted | {rid for rid, b in bookings.items() if b.deleted_at is None}
        if needed <= held.keys():
            return held, bookings
        held, bookings = _lock_resources(needed, held), None


def _relock(appt: Appointment, if_match: IfMatch) -> Appointment:
    """The appointment row under lock, after the preconditions that need it (with its branch and type)."""
    rows = _LOCK_APPOINTMENT.rows(pk=appt.pk)
    if not rows:
        raise DoesNotExist()
    current = _locked_appointment(rows[0])
    if current.deleted_at is not None:
        raise DoesNotExist()  # deleted (maybe meanwhile): a save must not bring it back; restore it first
    check_if_match(current, if_match)
    return current


def _share_relations(appt: Appointment, current: Appointment) -> None:
    """The branch and type read with the locked row serve the caller's instance too (no query each)."""
    for relation in (Appointment.branch, Appointment.appointment_type):
        name = relation.field.name
        if not relation.is_cached(appt) and getattr(appt, relation.field.attname) == getattr(current,
                                                                                            relation.field.attname):
            setattr(appt, name, getattr(current, name))


def _apply_content(appt: Appointment, ical_text: str | None, creating: bool,
                   checked: contract.CheckedObject | None = None) -> icalendar.Calendar:
    """Set the modelled columns and the stored object; returns the parsed calendar.

    ``checked``: ``ical_text`` as ``contract.check_object`` passed it already (a batch's)."""
    tzname = appt.timezone or appt.branch.timezone
    contract.check_appointment_type(appt.branch, appt.appointment_type)
    if ical_text is not None:
        checked = checked or contract.check_object(ical_text, tzname)
        if not creating and checked.uid != appt.uid:
            raise UidChanged()
        _set_fields(appt, checked.fields)
        appt.ical = ical_text
        return checked.cal
    if not (appt.title or "").strip():  # a phone's object keeps its SUMMARY as sent; only modelled writes get this
        appt.title = contract.default_title(appt.appointment_type, appt.customer_name)
    contract.check_fields(title=appt.title, notes=appt.notes, place=appt.place, rrule=appt.rrule)
    appt.start, appt.end = contract.normalise_times(start=appt.start, end=appt.end, all_day=appt.all_day,
                                                    tzname=tzname)
    if not appt.uid:
        appt.uid = str(uuid.uuid4())
    appt.ical = ical.apply_fields(appt.ical or None, _fields_of(appt))
    return ical.parse(appt.ical)


def _judge_conflicts(appt: Appointment, idx: ical.TimeIndex, resources: list[Resource], on_conflict: str,
                     pending: list[contract.Pending] | None = None) -> None:
    """P2 (``contract.find_conflicts``); ``pending``: a batch's appointments not yet written, judged alike."""
    conflicts = contract.find_conflicts(idx.spans, resources, exclude=appt, all_day=appt.all_day,
                                        status=appt.status, pending=pending)
    if conflicts and on_conflict == REFUSE:
        raise BookingConflict(conflicts)
    appt.has_conflict = bool(conflicts)
    appt.conflicts = conflicts


def _sync_bookings(appt: Appointment, old: dict[int, Booking], new: dict[int, Resource],
                   names: dict[int, str]) -> list[tuple[int, Appointment, str, str]]:
    """Create, revive and remove bookings; the change-log entries they need."""
    entries = []
    for rid, res in new.items():
        booking = old.get(rid)
        if booking is None:
            booking = Booking.objects.create(appointment=appt, resource=res, uid=appt.uid,
                                             name=names.get(rid) or object_name_for(appt, res))
            entries.append((rid, appt, booking.name, Change.Op.CREATED))
        elif booking.deleted_at is not None:
            booking.deleted_at, booking.uid = None, appt.uid
            booking.name = names.get(rid) or booking.name
            booking.save(update_fields=["deleted_at", "name", "uid"])
            entries.append((rid, appt, booking.name, Change.Op.CREATED))
        else:
            entries.append((rid, appt, booking.name, Change.Op.MODIFIED))
    now = timezone.now()
    for rid, booking in old.items():
        if rid not in new and booking.deleted_at is None:
            booking.deleted_at = now
            booking.save(update_fields=["deleted_at"])
            entries.append((rid, appt, booking.name, Change.Op.DELETED))
    return entries


def object_name_for(appt: Appointment, resource: Resource, taken: set[str] | None = None) -> str:
    """The object name of an appointment made outside a client: ``<uid>.ics``, unique in the calendar.

    ``taken``: the names in use in the calendar, when the caller read them already (a batch)."""
    name = object_name_for_uid(appt.uid)
    if taken is not None:
        in_use = name in taken
    else:
        in_use = Booking.objects.filter(resource=resource, name=name, deleted_at__isnull=True).exists()
    return f"{uuid.uuid4()}.ics" if in_use else name


@dataclass
class _Held:
    """What a caller read under its locks already: resource rows, the appointment's bookings and row."""

    resources: dict[int, Resource]
    bookings: dict[int, Booking] | None = None
    current: Appointment | None = None


def _save(appt: Appointment, resources: list[Resource] | None, ical_text: str | None,
          opts: WriteOptions, held: _Held | None = None) -> Appointment:
    """One write, each lock taken once: resources, then the appointment (see the module's doc)."""
    held = held or _Held({})
    creating = appt.pk is None
    wanted = {r.pk for r in resources or []}
    before = None  # the version being replaced, for the history
    bounds: IndexBounds | None = None  # its index columns: unchanged ones may mean unchanged occurrences
    old_text = ""
    if creating:
        if preconditions.parse(opts.if_match) is not None:
            raise DoesNotExist()
        locked, old = _lock_resources(wanted, held.resources), {}
    else:
        locked, old = _bookings_under_lock(appt.pk, held.resources, wanted, held.bookings)
        current = held.current or _relock(appt, opts.if_match)
        appt.ical = current.ical
        _share_relations(appt, current)
        before = history.snapshot(current, [locked[rid] for rid, b in old.items() if b.deleted_at is None])
        bounds, old_text = _bounds(current), current.ical
    if opts.source:
        appt.source = opts.source
    cal = _apply_content(appt, ical_text, creating)
    if resources is None:
        resources = [locked[rid] for rid, b in old.items() if b.deleted_at is None]
    idx = _check_new_state(appt, cal, resources, opts, old)
    if opts.who:
        appt.changed_by = opts.who
    appt.save()
    if creating or not _occurrences_unchanged(appt, idx, bounds, old_text):
        write_occurrences(appt, idx, replace=not creating)
    by_id = {r.pk: r for r in resources}
    entries = _sync_bookings(appt, old, by_id, opts.names)
    if appt.deleted_at is None:
        _log(by_id, entries, locked)
    history.record(appt, action=AppointmentVersion.Action.CREATED if creating else AppointmentVersion.Action.CHANGED,
                   actor=opts.actor, before=before, after=history.snapshot(appt, resources),
                   restored_from=opts.restored_from)
    return appt


def _check_new_state(appt: Appointment, cal: icalendar.Calendar, resources: list[Resource], opts: WriteOptions,
                     old: dict[int, Booking], pending: list[contract.Pending] | None = None,
                     known: dict[str, Booking] | None = None) -> ical.TimeIndex:
    """The rules on what is about to be stored: resources, UID, time index, redaction, double bookings.

    A batch (``store_many``) hands in what it read once for all its objects: the calendar's UIDs
    (``known``) and its appointments judged but not written yet (``pending``)."""
    appt.warnings = contract.check_resources(appt.branch, resources)
    _check_uid_free(appt.uid, resources, appt if appt.pk else None, old, known)
    idx = _index(appt, cal)
    _redact(appt, resources, cal)
    _judge_conflicts(appt, idx, resources, opts.on_conflict, pending)
    return idx


def save_appointment(
    appt: Appointment,
    *,
    resources: Iterable[Resource] | None = None,
    ical_text: str | None = None,
    source: str | None = None,
    names: dict[int, str] | None = None,
    if_match: IfMatch = None,
    on_conflict: str = FLAG,
    changed_by: str = "",
    actor: Actor | None = None,
) -> Appointment:
    """Create or update ``appt`` and its bookings, and log the change per resource.

    - ``ical_text`` given (a phone's or an API client's object): it is checked
      by the contract, stored as sent, and the modelled columns are read from it;
    - otherwise the modelled columns set on ``appt`` are normalised and written
      into the stored object, keeping every property the scheduler does not model;
    - ``resources`` None keeps the current bookings; otherwise it is the full new
      set: added resources get a "created", removed ones a "deleted" entry;
    - ``if_match`` is compared with the row re-read under the lock;
    - ``on_conflict``: ``REFUSE`` raises ``BookingConflict``, ``FLAG`` stores and flags;
    - ``actor``: who writes through which door, for the history (None: "system").

    The returned appointment carries ``warnings`` (sentences) and ``conflicts``.
    """
    opts = WriteOptions(if_match=if_match, on_conflict=on_conflict, changed_by=changed_by, source=source,
                        names=names or {}, actor=actor)
    return _write(appt, None if resources is None else list(resources), ical_text, opts)


def _write(appt: Appointment, resources: list[Resource] | None, ical_text: str | None,
           opts: WriteOptions) -> Appointment:
    try:
        with transaction.atomic():
            return _save(appt, resources, ical_text, opts)
    except IntegrityError as exc:  # the unique indexes on bookings: a concurrent writer won
        if appt.pk and not Appointment.objects.filter(pk=appt.pk).exists():
            appt.pk = None
        raise UidConflict() from exc


class _DryRun(Exception):
    pass


def check_write(appt: Appointment, **kwargs: Any) -> Appointment:
    """Run the writer on a copy and roll it back: the same checks and refusals, nothing stored.

    Forms call it while validating, so a refusal shows beside its field; the
    real write checks everything again under its locks.
    """
    draft = copy.copy(appt)
    try:
        with transaction.atomic():
            result = save_appointment(draft, **kwargs)
            raise _DryRun(result)
    except _DryRun as done:
        return done.args[0]


def create_appointment(*, branch: Branch, resources: Iterable[Resource], source: str = Appointment.Source.SCHEDULER,
                       ical_text: str | None = None, names: dict[int, str] | None = None,
                       on_conflict: str = FLAG, changed_by: str = "", actor: Actor | None = None,
                       **fields: Any) -> Appointment:
    """A new appointment from modelled fields or from an iCalendar object."""
    appt = Appointment(branch=branch, **fields)
    if ical_text is not None and not fields.get("timezone"):
        appt.timezone = branch.timezone
    try:
        return save_appointment(appt, resources=resources, ical_text=ical_text, source=source, names=names,
                                on_conflict=on_conflict, changed_by=changed_by, actor=actor)
    except Exception:
        appt.pk = None  # the transaction was rolled back: nothing of it exists
        raise


def store_object(resource: Resource, name: str, text: str, *, branch: Branch, if_match: IfMatch = None,
                 if_none_match: IfMatch = None, on_conflict: str = FLAG, changed_by: str = "",
                 actor: Actor | None = None) -> tuple[Appointment, bool]:
    """A client PUTs ``text`` under ``name`` in ``resource``'s calendar (RFC 4791 §5.3.2).

    The object name is looked up under the calendar's lock, so If-None-Match,
    If-Match and the UID rule judge what is there when the write happens.
    Returns the appointment and whether it was created.

    One transaction, each row locked and read once: the calendar, the appointment's bookings
    (found by the name, in the same query), the other calendars it books (only if any), the
    appointment. The ETag is computed from the bytes written, never read back.
    """
    opts = WriteOptions(if_match=if_match, on_conflict=on_conflict, changed_by=changed_by, actor=actor)
    try:
        with transaction.atomic():
            held = _lock_resources([resource.pk])
            bookings = {b.resource_id: b for b in instances(Booking, _BOOKINGS_BY_NAME.rows(resource=resource.pk,
                                                                                         name=name))}
            if bookings:
                return _store_existing(next(iter(bookings.values())).appointment_id, text, opts,
                                       _Held(held, bookings), if_none_match), False
            if preconditions.parse(if_match) is not None:
                raise DoesNotExist()
            opts.source, opts.names = Appointment.Source.PHONE, {resource.pk: name}
            appt = Appointment(branch=branch, timezone=branch.timezone)
            return _save(appt, [resource], text, opts, _Held(held)), True
    except IntegrityError as exc:  # the unique indexes on bookings: a concurrent writer won
        raise UidConflict() from exc


def _store_existing(appt_id: int, text: str, opts: WriteOptions, held: _Held, if_none_match: IfMatch) -> Appointment:
    """A PUT on an existing object: its other calendars locked (if any), then its row, then the preconditions."""
    held.resources, held.bookings = _bookings_under_lock(appt_id, held.resources, set(), held.bookings)
    current = _relock(Appointment(pk=appt_id), None)
    tags = preconditions.parse(if_none_match)
    if tags is not None and tags.matches_weakly(current.etag):
        raise AlreadyExists()
    check_if_match(current, opts.if_match)
    held.current = current
    return _save(current, None, text, opts, held)


@dataclass
class BatchItem:
    """One object of a batch for one calendar, written like a PUT addressed by its UID.

    ``uid`` is the UID as the caller read it (the batch asks for all of them in one query);
    ``if_match`` / ``if_none_match`` are the preconditions of a PUT (``"*"``: only if new).
    """

    text: str
    uid: str = ""
    if_match: IfMatch = None
    if_none_match: IfMatch = None


@dataclass
class BatchResult:
    """What became of one item: the appointment written (``created`` or updated), or the refusal."""

    appointment: Appointment | None = None
    created: bool = False
    error: Exception | None = None


# What refuses one object of a batch and not the others: the contract's refusals, and what
# icalendar raises on input no rule foresaw.
ITEM_ERRORS = (AppointmentRefused, ValueError, TypeError, KeyError)


def store_many(resource: Resource, items: Iterable[BatchItem], *, actor: Actor | None = None, changed_by: str = "",
               source: str = Appointment.Source.IMPORT, on_conflict: str = FLAG) -> list[BatchResult]:
    """Write many objects into ``resource``'s calendar in one transaction (``import_ics``).

    The same rules as ``store_object`` for each object (``contract.check_object``,
    ``contract.check_resources``, the UID rule, ``contract.find_conflicts``), in the order of the
    items, so an item sees the ones before it as stored. The calendar is locked once; the UIDs and
    names of all items are read in one query; new appointments, their occurrences, bookings,
    change-log rows and history entries are written in one statement each, and ``sync_revision``
    is raised once. An object whose UID is in the calendar updates it through the single writer
    (in a savepoint). A refused object is left out with its error; the others are stored.
    """
    items = list(items)
    opts = WriteOptions(on_conflict=on_conflict, changed_by=changed_by, source=source, actor=actor)
    with transaction.atomic():
        batch = _Batch(resource, _lock_resources([resource.pk]), opts, items)
        results = [batch.store(item) for item in items]
        batch.flush()
    return results


@dataclass
class _New:
    appt: Appointment
    idx: ical.TimeIndex
    name: str


class _Batch:
    """``store_many``'s state: the locked calendar, what it holds of the batch's UIDs and names, and the new
    appointments judged but not yet written (written together by ``flush``)."""

    def __init__(self, resource: Resource, held: dict[int, Resource], opts: WriteOptions,
                 items: list[BatchItem]) -> None:
        self.resource, self.held, self.opts = resource, held, opts
        self.uids = {i.uid for i in items if i.uid}
        names = {object_name_for_uid(uid) for uid in self.uids}
        rows = (Booking.objects.filter(resource=resource, deleted_at__isnull=True)
                .filter(Q(uid__in=self.uids) | Q(name__in=names))
                .select_related("resource", "appointment__branch", "appointment__appointment_type"))
        self.known = {b.uid: b for b in rows if b.appointment.deleted_at is None and b.uid in self.uids}
        self.names, self.taken = names, {b.name for b in rows}
        self.fresh: set[str] = set()  # UIDs this batch creates: a second object with one of them is refused
        self.new: list[_New] = []
        self.pending: list[contract.Pending] = []

    def store(self, item: BatchItem) -> BatchResult:
        try:
            booking = self.known.get(item.uid)
            if booking is not None and item.uid not in self.fresh:
                return BatchResult(self._update(booking, item), False)
            if preconditions.parse(item.if_match) is not None:
                raise DoesNotExist()
            return BatchResult(self._judge_new(item), True)
        except ITEM_ERRORS as exc:
            return BatchResult(error=exc)

    def _update(self, booking: Booking, item: BatchItem) -> Appointment:
        """An object already in the calendar: the single writer, after the batch's new ones are written."""
        tags = preconditions.parse(item.if_none_match)
        if tags is not None and tags.matches_weakly(booking.appointment.etag):
            raise AlreadyExists()
        self.flush()
        opts = dataclasses.replace(self.opts, if_match=item.if_match, source=None)
        try:
            with transaction.atomic():  # a savepoint: a refusal undoes this object only
                return _save(booking.appointment, None, item.text, opts, _Held(self.held))
        except IntegrityError as exc:
            raise UidConflict() from exc

    def _judge_new(self, item: BatchItem) -> Appointment:
        """Every rule of a new object, as ``_save`` applies them; nothing written yet."""
        branch = self.resource.branch
        appt = Appointment(branch=branch, timezone=branch.timezone, source=self.opts.source)
        cal = _apply_content(appt, item.text, creating=True)
        known = self.known if appt.uid in self.uids else None  # else: a UID the caller did not foresee
        idx = _check_new_state(appt, cal, [self.resource], self.opts, {}, self.pending, known)
        if self.opts.who:
            appt.changed_by = self.opts.who
        name = object_name_for(appt, self.resource, self.taken if object_name_for_uid(appt.uid) in self.names
                               else None)
        self.uids.add(appt.uid)
        self.fresh.add(appt.uid)
        self.known[appt.uid] = Booking(appointment=appt, resource=self.resource, uid=appt.uid, name=name)
        self.taken.add(name)
        self.new.append(_New(appt, idx, name))
        self.pending.append(contract.Pending(appt, frozenset({self.resource.pk}), idx.spans))
        return appt

    def flush(self) -> None:
        """Write the judged new appointments: one statement per table, one change-log revision bump."""
        if not self.new:
            return
        new, res = self.new, self.resource
        Appointment.objects.bulk_create([n.appt for n in new])
        Occurrence.objects.bulk_create([Occurrence.of(n.appt, s, e) for n in new for s, e in n.idx.spans],
                                       batch_size=1000)
        Booking.objects.bulk_create([Booking(appointment=n.appt, resource=res, uid=n.appt.uid, name=n.name)
                                     for n in new])
        _log({res.pk: res}, [(res.pk, n.appt, n.name, Change.Op.CREATED) for n in new], self.held)
        AppointmentVersion.objects.bulk_create([
            history.entry(n.appt, action=AppointmentVersion.Action.CREATED, actor=self.opts.actor, before=None,
                          after=history.snapshot(n.appt, [res])) for n in new])
        for n in new:
            n.appt.conflicts = [c.with_ids() for c in n.appt.conflicts]
        self.new, self.pending = [], []


@transaction.atomic
def delete_appointment(appt: Appointment, *, if_match: IfMatch = None, changed_by: str = "",
                       actor: Actor | None = None) -> None:
    """Soft-delete (S7): gone from every calendar, kept for restore.

    Its bookings are marked with the same instant, so a restore knows which to
    bring back and the UID is free again in those calendars meanwhile.
    """
    _lock_resources(_active_resource_ids(appt.pk))
    try:
        current = Appointment.objects.select_for_update().get(pk=appt.pk)
    except Appointment.DoesNotExist:
        raise DoesNotExist() from None
    check_if_match(current, if_match)
    if current.deleted_at is not None:
        return
    now = timezone.now()
    bookings = list(current.bookings.filter(deleted_at__isnull=True).select_related("resource"))
    Booking.objects.filter(pk__in=[b.pk for b in bookings]).update(deleted_at=now)
    appt.deleted_at = current.deleted_at = now
    Appointment.objects.filter(pk=appt.pk).update(deleted_at=now,
                                                  changed_by=_who(changed_by, actor) or current.changed_by)
    _log({b.resource_id: b.resource for b in bookings},
         [(b.resource_id, current, b.name, Change.Op.DELETED) for b in bookings])
    last = history.snapshot(current, [b.resource for b in bookings])
    history.record(current, action=AppointmentVersion.Action.DELETED, actor=actor, before=last,
                   after={**last, "deleted": True})


@transaction.atomic
def announce_privacy_change(resources: Iterable[Resource]) -> None:
    """V1: a privacy level changed, so what colleagues' phones receive of these calendars changed.

    Every object in them is logged as modified (nothing else changes), so a phone that syncs
    by token fetches the objects again with their new ETags (D6, RFC 6578).
    """
    bookings = (Booking.objects.active().filter(resource__in=list(resources)).select_related("appointment")
                .order_by("resource_id", "name"))
    _log({}, [(b.resource_id, b.appointment, b.name, Change.Op.MODIFIED) for b in bookings])


@transaction.atomic
def restore_appointment(appt: Appointment, *, actor: Actor | None = None) -> None:
    """Undo a soft deletion: the appointment reappears in the calendars it booked.

    The bookings removed together with the appointment (same instant) come back,
    so the restored appointment is not an appointment in no calendar.
    """
    _lock_resources(Booking.objects.filter(appointment_id=appt.pk).values_list("resource_id", flat=True))
    current = Appointment.objects.select_for_update().get(pk=appt.pk)
    if current.deleted_at is None:
        return
    bookings = list(current.bookings.filter(Q(deleted_at__isnull=True) | Q(deleted_at=current.deleted_at))
                    .select_related("resource"))
    for b in bookings:
        _check_uid_free(current.uid, [b.resource], current)
        if b.deleted_at is not None:
            if Booking.objects.active().filter(resource=b.resource, name=b.name).exists():
                raise UidConflict(href=b.name, resource=b.resource)
            b.deleted_at, b.uid = None, current.uid
            b.save(update_fields=["deleted_at", "uid"])
    appt.deleted_at = current.deleted_at = None
    Appointment.objects.filter(pk=appt.pk).update(deleted_at=None,
                                                  changed_by=_who("", actor) or current.changed_by)
    _log({b.resource_id: b.resource for b in bookings},
         [(b.resource_id, current, b.name, Change.Op.CREATED) for b in bookings])
    now = history.snapshot(current, [b.resource for b in bookings])
    history.record(current, action=AppointmentVersion.Action.RESTORED, actor=actor, before={**now, "deleted": True},
                   after=now)


@transaction.atomic
def remove_booking(booking: Booking, *, if_match: IfMatch = None, changed_by: str = "",
                   actor: Actor | None = None) -> None:
    """A client deleted the object from one calendar: drop that booking only (S7).

    The appointment stays booked on its other resources; when no booking is
    left it is soft-deleted, so the scheduler can still restore it. A room left
    means a new room list in what colleagues' phones receive (V1): rebuilt here.
    """
    _lock_resources(_active_resource_ids(booking.appointment_id) | {booking.resource_id})
    current = Booking.objects.select_related("resource").filter(pk=booking.pk, deleted_at__isnull=True).first()
    appt = Appointment.objects.select_for_update().filter(pk=booking.appointment_id, deleted_at__isnull=True).first()
    if current is None or appt is None:
        raise DoesNotExist()
    check_if_match(appt, if_match)
    active = list(appt.bookings.filter(deleted_at__isnull=True).select_related("resource"))
    now = timezone.now()
    Booking.objects.filter(pk=current.pk).update(deleted_at=now)
    _log({current.resource_id: current.resource}, [(current.resource_id, appt, current.name, Change.Op.DELETED)])
    left = [b for b in active if b.pk != current.pk]
    before = history.snapshot(appt, [b.resource for b in active])
    who = _who(changed_by, actor) or appt.changed_by
    if left:
        Appointment.objects.filter(pk=appt.pk).update(changed_by=who)
        _rebuild_redactions(appt, left)
        history.record(appt, action=AppointmentVersion.Action.CHANGED, actor=actor, before=before,
                       after=history.snapshot(appt, [b.resource for b in left]))
        return
    Appointment.objects.filter(pk=appt.pk).update(deleted_at=now, changed_by=who)
    history.record(appt, action=AppointmentVersion.Action.DELETED, actor=actor, before=before,
                   after={**before, "deleted": True})


@transaction.atomic
def restore_version(version: AppointmentVersion, *, actor: Actor | None = None, if_match: IfMatch = None,
                    on_conflict: str = FLAG) -> Appointment:
    """"Diese Version wiederherstellen": write an earlier version back, as a new write of ``actor``.

    The version's stored object, resources, type and customer go through the writer like any edit
    (If-Match against the current version, the contract, a new history entry pointing at the version,
    the change log), so phones receive it at their next sync. A deleted appointment is restored first.
    A resource or type deleted since is left out. A double booking is stored and flagged by default:
    an earlier state is put back, not a new booking made.
    """
    appt = Appointment.objects.select_related("branch").get(pk=version.appointment_id)
    if appt.deleted_at is not None:
        check_if_match(appt, if_match)
        restore_appointment(appt, actor=actor)
        appt.refresh_from_db()
    old = history.restorable(version, appt.ical)
    appt.appointment_type = AppointmentType.objects.filter(pk=old.appointment_type_id, branch=appt.branch).first()
    for name, value in old.customer.items():
        setattr(appt, name, value)
    resources = list(Resource.objects.filter(pk__in=old.resource_ids).order_by("pk"))
    opts = WriteOptions(if_match=if_match, on_conflict=on_conflict, actor=actor, restored_from=version)
    return _write(appt, resources, old.ical, opts)


@transaction.atomic
def refresh_redactions(appointment_ids: Iterable[int]) -> int:
    """Rebuild what colleagues' phones receive after a name they show changed (a type's, a room's).

    The stored object is untouched (no history entry: the appointment did not change), but the
    redacted objects carry those names, so their bytes and ETags change: each booking whose
    redacted ETag changed is logged as modified, and phones syncing by token fetch it again.
    Returns the number of appointments whose redacted objects changed.
    """
    ids = sorted(set(appointment_ids))
    _lock_resources(Booking.objects.active().filter(appointment_id__in=ids).values_list("resource_id", flat=True))
    changed = 0
    for appt in (Appointment.objects.select_for_update(of=("self",)).select_related("appointment_type")
                 .filter(pk__in=ids, deleted_at__isnull=True).order_by("pk")):
        bookings = list(appt.bookings.filter(deleted_at__isnull=True).select_related("resource"))
        changed += _rebuild_redactions(appt, bookings)
    return changed


def _rebuild_redactions(appt: Appointment, bookings: list[Booking]) -> bool:
    """Redact ``appt`` again for its active ``bookings`` (rows locked); log them as modified if that changed."""
    etags = (appt.etag_no_customer, appt.etag_busy)
    _redact(appt, [b.resource for b in bookings])
    if (appt.etag_no_customer, appt.etag_busy) == etags:
        return False
    Appointment.objects.filter(pk=appt.pk).update(
        ical_no_customer=appt.ical_no_customer, etag_no_customer=appt.etag_no_customer,
        ical_busy=appt.ical_busy, etag_busy=appt.etag_busy)
    _log({}, [(b.resource_id, appt, b.name, Change.Op.MODIFIED) for b in bookings])
    return True
