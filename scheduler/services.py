"""The only writer of appointments.

The admin, ``loaddemo``, the CalDAV endpoint and the REST API all create,
change, move and delete appointments through these functions. Each runs in one
transaction that also appends the per-resource change log (``Change``), so a
phone's sync token can never see an appointment change without its log entry.

Per-resource revisions are taken under a row lock on the resource
(``select_for_update``), so they are gap-free and commit in order: a sync token
handed out never skips a change that commits later.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from . import ical
from .models import Appointment, Booking, Change, Occurrence, Resource, object_name_for_uid


class PreconditionFailed(Exception):
    """An If-Match ETag did not match the stored object (HTTP 412)."""


class UidConflict(Exception):
    """The UID is already used by another object of this calendar (CalDAV no-uid-conflict)."""

    def __init__(self, booking: Booking):
        super().__init__(booking.name)
        self.booking = booking


def validate_appointment(*, start: dt.datetime, end: dt.datetime, all_day: bool,
                         resources: Iterable[Resource]) -> None:
    """The one validation rule for an appointment, for the admin, the API and CalDAV.

    Raises ``ValidationError`` with field keys the forms and serializers can show.
    """
    errors: dict[str, list[str]] = {}
    if start is not None and end is not None:
        if end < start or (end == start and all_day):
            errors.setdefault("end", []).append(_("Das Ende muss nach dem Beginn liegen."))
    resources = list(resources)
    if not resources:
        errors.setdefault("resources", []).append(_("Ein Termin bucht mindestens eine Ressource."))
    for res in resources:
        if not res.active:
            errors.setdefault("resources", []).append(
                _("Die Ressource „%(name)s“ ist nicht aktiv.") % {"name": res.name})
        if res.kind == Resource.Kind.LOCATION and res.employee_id:
            errors.setdefault("resources", []).append(
                _("Die Ortsressource „%(name)s“ darf keinen Mitarbeiter haben.") % {"name": res.name})
    if errors:
        raise ValidationError(errors)


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


def _index(appt: Appointment, cal) -> ical.TimeIndex:
    idx = ical.index(cal, appt.timezone or appt.branch.timezone)
    appt.first_start, appt.last_end, appt.occurrences_until = idx.first, idx.last, idx.complete_until
    appt.etag = ical.etag_for(appt.ical)
    appt.size = len(appt.ical.encode("utf-8"))
    return idx


def write_occurrences(appt: Appointment, idx: ical.TimeIndex, *, replace: bool = True) -> None:
    """Rewrite the occurrence rows of an appointment (same transaction as the appointment)."""
    if replace:
        appt.occurrences.all().delete()
    Occurrence.objects.bulk_create([Occurrence(appointment=appt, start=s, end=e) for s, e in idx.spans],
                                   batch_size=1000)


def _log(resources: dict[int, Resource], entries: list[tuple[int, Appointment, str, str]]) -> None:
    """Append change-log rows, numbering them per resource under the resource's row lock."""
    if not entries:
        return
    locked = {r.pk: r for r in Resource.objects.select_for_update().filter(
        pk__in=sorted({e[0] for e in entries})).order_by("pk")}
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


def _check_etag(appt: Appointment, if_match: str | None) -> None:
    if if_match is not None and if_match != "*" and if_match.strip('"') != appt.etag:
        raise PreconditionFailed(appt.etag)


def _check_uid_free(uid: str, resources: Iterable[Resource], appt: Appointment | None) -> None:
    """RFC 4791 §4.1: a UID is unique within one calendar (not across calendars)."""
    clash = (Booking.objects.active().filter(resource__in=list(resources), appointment__uid=uid)
             .exclude(appointment=appt).select_related("resource").first())
    if clash:
        raise UidConflict(clash)


@transaction.atomic
def save_appointment(
    appt: Appointment,
    *,
    resources: Iterable[Resource] | None = None,
    ical_text: str | None = None,
    source: str | None = None,
    names: dict[int, str] | None = None,
    if_match: str | None = None,
) -> Appointment:
    """Create or update ``appt`` and its bookings, and log the change per resource.

    - ``ical_text`` given (a phone's or an API client's object): it is stored as
      sent, and the modelled columns are read from it.
    - otherwise the modelled columns set on ``appt`` are written into the stored
      object, keeping every property the scheduler does not model.
    - ``resources`` None keeps the current bookings; otherwise it is the full new
      set: added resources get a "created", removed ones a "deleted" entry.
    - ``names`` maps resource id to the object name a client chose for it.
    """
    creating = appt.pk is None
    if not creating:
        current = Appointment.objects.select_for_update().get(pk=appt.pk)
        _check_etag(current, if_match)
        appt.ical = current.ical
    if source:
        appt.source = source
    tzname = appt.timezone or appt.branch.timezone
    if ical_text is not None:
        cal = ical.parse(ical_text)
        fields = ical.extract(cal, tzname)
        if not creating and fields.uid and fields.uid != appt.uid:
            raise ValidationError({"uid": _("Die UID eines Termins kann nicht geändert werden.")})
        _set_fields(appt, fields)
        appt.ical = ical_text
    else:
        if not appt.uid:
            appt.uid = str(uuid.uuid4())
        appt.ical = ical.apply_fields(appt.ical or None, _fields_of(appt))
        cal = ical.parse(appt.ical)
    if not appt.uid:
        appt.uid = str(uuid.uuid4())

    old = {b.resource_id: b for b in appt.bookings.all()} if not creating else {}
    old_active = {rid for rid, b in old.items() if b.deleted_at is None}
    if resources is None:
        new_resources = list(Resource.objects.filter(pk__in=old_active))
    else:
        new_resources = list(resources)
    validate_appointment(start=appt.start, end=appt.end, all_day=appt.all_day, resources=new_resources)
    _check_uid_free(appt.uid, new_resources, None if creating else appt)
    idx = _index(appt, cal)
    appt.save()
    write_occurrences(appt, idx, replace=not creating)

    by_id = {r.pk: r for r in new_resources}
    names = names or {}
    entries = []
    alive = appt.deleted_at is None
    for rid, res in by_id.items():
        booking = old.get(rid)
        if booking is None:
            booking = Booking.objects.create(
                appointment=appt, resource=res, name=names.get(rid) or object_name_for_uid(appt.uid))
            entries.append((rid, appt, booking.name, Change.Op.CREATED))
        elif booking.deleted_at is not None:
            booking.deleted_at = None
            booking.name = names.get(rid) or booking.name
            booking.save(update_fields=["deleted_at", "name"])
            entries.append((rid, appt, booking.name, Change.Op.CREATED))
        else:
            entries.append((rid, appt, booking.name, Change.Op.MODIFIED))
    for rid in old_active - set(by_id):
        booking = old[rid]
        booking.deleted_at = timezone.now()
        booking.save(update_fields=["deleted_at"])
        entries.append((rid, appt, booking.name, Change.Op.DELETED))
    if alive:
        _log(by_id, entries)
    return appt


def create_appointment(*, branch, resources: Iterable[Resource], source: str = Appointment.Source.SCHEDULER,
                       ical_text: str | None = None, names: dict[int, str] | None = None,
                       **fields) -> Appointment:
    """Convenience wrapper: a new appointment from modelled fields or from an iCalendar object."""
    appt = Appointment(branch=branch, **fields)
    if ical_text is not None and not fields.get("timezone"):
        appt.timezone = branch.timezone
    return save_appointment(appt, resources=resources, ical_text=ical_text, source=source, names=names)


@transaction.atomic
def delete_appointment(appt: Appointment, *, if_match: str | None = None) -> None:
    """Soft-delete (S7): gone from every calendar, kept for restore."""
    current = Appointment.objects.select_for_update().get(pk=appt.pk)
    _check_etag(current, if_match)
    if current.deleted_at is not None:
        return
    appt.deleted_at = current.deleted_at = timezone.now()
    Appointment.objects.filter(pk=appt.pk).update(deleted_at=appt.deleted_at)
    bookings = list(current.bookings.filter(deleted_at__isnull=True).select_related("resource"))
    _log({b.resource_id: b.resource for b in bookings},
         [(b.resource_id, current, b.name, Change.Op.DELETED) for b in bookings])


@transaction.atomic
def restore_appointment(appt: Appointment) -> None:
    """Undo a soft deletion: the appointment reappears in the calendars it books.

    When a phone deleted the last booking, that booking went together with the
    appointment (same instant); restoring brings it back too, so the restored
    appointment is not an appointment in no calendar.
    """
    current = Appointment.objects.select_for_update().get(pk=appt.pk)
    if current.deleted_at is None:
        return
    bookings = list(current.bookings.filter(Q(deleted_at__isnull=True) | Q(deleted_at=current.deleted_at))
                    .select_related("resource"))
    for b in bookings:
        _check_uid_free(current.uid, [b.resource], current)
        if b.deleted_at is not None:
            if Booking.objects.active().filter(resource=b.resource, name=b.name).exists():
                raise UidConflict(b)
            b.deleted_at = None
            b.save(update_fields=["deleted_at"])
    appt.deleted_at = None
    Appointment.objects.filter(pk=appt.pk).update(deleted_at=None)
    _log({b.resource_id: b.resource for b in bookings},
         [(b.resource_id, current, b.name, Change.Op.CREATED) for b in bookings])


@transaction.atomic
def remove_booking(booking: Booking, *, if_match: str | None = None) -> None:
    """A client deleted the object from one calendar: drop that booking only (S7).

    The appointment stays booked on its other resources; when no booking is
    left it is soft-deleted, so the scheduler can still restore it.
    """
    appt = Appointment.objects.select_for_update().get(pk=booking.appointment_id)
    _check_etag(appt, if_match)
    booking.deleted_at = timezone.now()
    booking.save(update_fields=["deleted_at"])
    _log({booking.resource_id: booking.resource},
         [(booking.resource_id, appt, booking.name, Change.Op.DELETED)])
    if not appt.bookings.filter(deleted_at__isnull=True).exists():
        Appointment.objects.filter(pk=appt.pk).update(deleted_at=booking.deleted_at)
