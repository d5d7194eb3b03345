"""Issue 13, bulk import: ``services.store_many`` has the effect of ``store_object``-style writes one at a time.

One calendar gets a set of objects one by one through the single writer (what ``import_ics`` did
before), its twin the same objects as one batch. The rows must be the same: appointments,
occurrences, bookings, the change log, the history, the double-booking flags, and the refusals
(a broken object is left out with the same reason, the rest stored).
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scheduler import services
from scheduler.exceptions import AppointmentRefused
from scheduler.models import Appointment, AppointmentVersion, Booking, Change, Door, Occurrence

from .conftest import obj, vcalendar, vevent

ACTOR = services.Actor(door=Door.IMPORT)
SERIES = obj("series@test", "20261201T090000Z", "20261201T093000Z", "Teamrunde",
             "RRULE:FREQ=WEEKLY;COUNT=10\nEXDATE:20261208T090000Z\n")
OBJECTS = [
    obj("a@test"),
    obj("b@test", "20261201T103000Z", "20261201T113000Z", "Hörtest"),           # overlaps a: flagged
    SERIES,
    obj("c@test", "20261215T091500Z", "20261215T100000Z", "In der Teamrunde"),  # third instance: flagged
    obj("d@test", "20261208T091500Z", "20261208T100000Z", "Ausgefallene Woche"),  # EXDATE: free
    obj("e@test", "20261201T100000Z", "20261201T110000Z", "Abgesagt", "STATUS:CANCELLED\n"),  # does not block
    vcalendar(vevent("f@test", "20261222", "20261223").replace("DTSTART:20261222", "DTSTART;VALUE=DATE:20261222")
              .replace("DTEND:20261223", "DTEND;VALUE=DATE:20261223")),     # all day: does not block
    obj("broken@test", "20261201T100000Z", "20261130T100000Z"),                 # ends before it starts
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTODO\r\nUID:todo@test\r\nEND:VTODO\r\nEND:VCALENDAR\r\n",
    obj("g@test", "20261203T080000Z", "20261205T080000Z", "Seminar"),           # two days (a long occurrence)
    obj("h@test", "20261204T120000Z", "20261204T130000Z", "Während des Seminars"),  # flagged by the long one
    obj("a@test", "20261201T100000Z", "20261201T110000Z", "Nochmal a"),        # the same UID again: refused
    obj("i@test", "20261201T110000Z", "20261201T120000Z", "Mit Erinnerung",
        "BEGIN:VALARM\nACTION:DISPLAY\nDESCRIPTION:x\nTRIGGER:-P300S\nEND:VALARM\n"),  # b still runs: flagged
]


def one_at_a_time(resource, texts: list[str]) -> list[object]:
    """What the importer did before: the single writer per object, each in its own savepoint."""
    out = []
    for text in texts:
        try:
            appt = services.create_appointment(branch=resource.branch, resources=[resource], ical_text=text,
                                               source=Appointment.Source.IMPORT, changed_by="import", actor=ACTOR)
            out.append(appt)
        except (AppointmentRefused, ValueError, TypeError, KeyError) as exc:
            out.append(exc)
    return out


def batch(resource, texts: list[str]) -> list[object]:
    results = services.store_many(resource, [services.BatchItem(t) for t in texts], actor=ACTOR,
                                  changed_by="import")
    return [r.error if r.error is not None else r.appointment for r in results]


APPOINTMENT_COLUMNS = ("uid", "title", "notes", "place", "status", "all_day", "start", "end", "timezone", "rrule",
                       "source", "ical", "etag", "ical_no_customer", "etag_no_customer", "ical_busy", "etag_busy",
                       "size", "first_start", "last_end", "occurrences_until", "has_conflict", "changed_by",
                       "deleted_at")


def _unnamed(change: dict) -> dict:
    """A history change without the calendar's name (the two calendars differ only in it)."""
    if change["field"] != "resources":
        return change
    return {**change, "old": change["old"] and len(change["old"]), "new": len(change["new"])}


def state(resource) -> dict:
    """Everything the writes left in one calendar, by UID (ids and the calendar's own name left out)."""
    out = {}
    for b in Booking.objects.filter(resource=resource).select_related("appointment").order_by("pk"):
        a = b.appointment
        versions = [(v.action, v.door, [_unnamed(c) for c in v.changes],
                     {**v.snapshot, "resources": len(v.snapshot["resources"])})
                    for v in AppointmentVersion.objects.filter(appointment=a).order_by("pk")]
        out[b.uid] = {
            "appointment": {c: getattr(a, c) for c in APPOINTMENT_COLUMNS},
            "booking": (b.name, b.uid, b.deleted_at),
            "occurrences": list(Occurrence.objects.filter(appointment=a).order_by("start")
                                .values_list("start", "end", "is_long")),
            "versions": versions,
        }
    changes = [(c.revision, c.appointment.uid, c.name, c.op)
               for c in Change.objects.filter(resource=resource).select_related("appointment").order_by("revision")]
    resource.refresh_from_db()
    return {"appointments": out, "changes": changes, "sync_revision": resource.sync_revision}


def outcome(result: object) -> object:
    if isinstance(result, Exception):
        return type(result).__name__, getattr(result, "message", str(result))
    return "stored", result.uid, result.has_conflict, sorted(c.other_title for c in result.conflicts)


@pytest.mark.django_db
def test_a_batch_writes_what_one_write_at_a_time_writes(calendars):
    anna, ben = calendars
    single = one_at_a_time(anna, OBJECTS)
    batched = batch(ben, OBJECTS)
    assert [outcome(r) for r in batched] == [outcome(r) for r in single]
    assert state(ben) == state(anna)


@pytest.mark.django_db
def test_refusals_are_left_out_with_their_reason_and_the_rest_is_stored(calendars):
    _anna, ben = calendars
    results = batch(ben, OBJECTS)
    refused = {i: type(r).__name__ for i, r in enumerate(results) if isinstance(r, Exception)}
    assert refused == {7: "InvalidTimes", 8: "UnsupportedComponent", 11: "UidConflict"}
    assert Booking.objects.filter(resource=ben).count() == len(OBJECTS) - 3
    flagged = {r.uid for r in results if not isinstance(r, Exception) and r.has_conflict}
    assert flagged == {"b@test", "c@test", "h@test", "i@test"}  # P2, series and a long occurrence included
    assert all(c.other_id for r in results if not isinstance(r, Exception) for c in r.conflicts)


@pytest.mark.django_db
def test_a_batch_updates_what_the_calendar_has_and_checks_its_precondition(calendars):
    anna, ben = calendars
    for resource in (anna, ben):
        one_at_a_time(resource, OBJECTS[:3])
    a_anna = Appointment.objects.get(bookings__resource=anna, uid="a@test")
    a_ben = Appointment.objects.get(bookings__resource=ben, uid="a@test")
    texts = [obj("a@test", summary="Sehtest (verlegt)"), obj("new@test", "20261202T100000Z", "20261202T110000Z")]
    services.save_appointment(a_anna, ical_text=texts[0], if_match=a_anna.etag, changed_by="import", actor=ACTOR)
    one_at_a_time(anna, texts[1:])
    results = services.store_many(ben, [services.BatchItem(texts[0], "a@test", if_match=a_ben.etag),
                                        services.BatchItem(texts[1], "new@test", if_none_match="*")],
                                  actor=ACTOR, changed_by="import")
    assert [(r.created, r.error) for r in results] == [(False, None), (True, None)]
    assert state(ben) == state(anna)
    stale = services.store_many(ben, [services.BatchItem(texts[0], "a@test", if_match=a_ben.etag)], actor=ACTOR)
    assert type(stale[0].error).__name__ == "PreconditionFailed"


@pytest.mark.django_db
def test_a_batch_locks_once_and_writes_each_table_in_one_statement(calendars):
    _anna, ben = calendars
    texts = [obj(f"n{i}@test", f"202612{i + 1:02d}T100000Z", f"202612{i + 1:02d}T110000Z") for i in range(20)]
    with CaptureQueriesContext(connection) as queries:
        results = services.store_many(ben, [services.BatchItem(t, f"n{i}@test") for i, t in enumerate(texts)],
                                      actor=ACTOR)
    assert all(r.created for r in results)
    sql = [q["sql"] for q in queries.captured_queries]
    writes = [s.split("(")[0].strip() for s in sql if s.startswith(("INSERT", "UPDATE", "DELETE"))]
    assert writes == ['INSERT INTO "scheduler_appointment"', 'INSERT INTO "scheduler_occurrence"',
                      'INSERT INTO "scheduler_booking"', 'INSERT INTO "scheduler_change"',
                      'UPDATE "scheduler_resource" SET "sync_revision" = 20 WHERE "scheduler_resource"."id" = %s'
                      .replace("%s", str(ben.pk)), 'INSERT INTO "scheduler_appointmentversion"']
    assert sum('FROM "scheduler_resource"' in s for s in sql) == 1  # the calendar locked once
    assert sum('FROM "scheduler_booking"' in s and '"scheduler_booking"."uid" IN' in s for s in sql) == 1
    assert len(sql) <= 2 + 2 + 20 + 6  # savepoint, lock, UIDs, one conflict read per object, the writes
