"""``manage.py import_ics``: exports, folders and stdin into one calendar, through the writer (issue 13)."""

from __future__ import annotations

import datetime as dt
import io
import sys

import pytest
from django.core.management import CommandError, call_command

from scheduler import ical, importer
from scheduler.exceptions import InvalidObject, InvalidTimes, UnsupportedComponent
from scheduler.models import Appointment, Booking, Change

from .conftest import ALL_DAY, GOOGLE, OVERRIDE, SERIES, SINGLE, export, one_object, vevent

pytestmark = pytest.mark.django_db
UTC = dt.timezone.utc


def run(*args: str, stdin: bytes | None = None, monkeypatch=None) -> str:
    out, err = io.StringIO(), io.StringIO()
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
    call_command("import_ics", *args, stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def stored(calendar, uid: str) -> Appointment:
    return Booking.objects.active().get(resource=calendar, uid=uid).appointment


def test_google_export_series_with_override_becomes_one_object(calendar, tmp_path):
    path = tmp_path / "Filiale Hamburg_google.com.ics"
    path.write_text(GOOGLE, newline="")
    output = run("--resource", calendar.slug, str(path))
    assert "3 angelegt, 0 aktualisiert, 0 unverändert, 0 übersprungen." in output
    assert Appointment.objects.count() == 3 and Booking.objects.filter(resource=calendar).count() == 3
    series = stored(calendar, "series@google.com")
    cal = ical.parse(series.ical)
    assert [str(ev.get("RECURRENCE-ID", "")) != "" for ev in ical.events(cal)] == [False, True]  # master first
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/Berlin"]  # carried into the object
    assert "METHOD" not in cal and "X-WR-CALNAME" not in cal  # RFC 4791 §4.1: not in a stored object
    assert series.rrule == "FREQ=WEEKLY;COUNT=4" and series.changed_by == "import"
    assert series.source == importer.SOURCE
    # 2, (9 excluded), 16 moved to 17 Dec 15:00, 23 Dec: the override is part of the series' occurrences
    starts = sorted(series.occurrences.values_list("start", flat=True))
    assert starts == [dt.datetime(2026, 12, 2, 8, tzinfo=UTC), dt.datetime(2026, 12, 17, 14, tzinfo=UTC),
                      dt.datetime(2026, 12, 23, 8, tzinfo=UTC)]
    single = stored(calendar, "single@google.com")
    assert single.title == "Sehtest Müller" and "TRIGGER:-P300S" in single.ical  # the export's value, as it was
    assert "BEGIN:VTIMEZONE" not in stored(calendar, "allday@google.com").ical  # uses no zone, gets none
    # the change log: one "created" per object, so a phone's next sync fetches them
    assert Change.objects.filter(resource=calendar, op=Change.Op.CREATED).count() == 3


def test_second_run_updates_nothing_and_a_changed_event_is_updated(calendar, tmp_path):
    path = tmp_path / "export.ics"
    path.write_text(GOOGLE, newline="")
    run("--resource", calendar.slug, str(path))
    etags = dict(Appointment.objects.values_list("uid", "etag"))
    changes = Change.objects.count()
    output = run("--resource", calendar.slug, str(path))
    assert "0 angelegt, 0 aktualisiert, 3 unverändert, 0 übersprungen." in output  # idempotent by UID
    assert dict(Appointment.objects.values_list("uid", "etag")) == etags and Change.objects.count() == changes
    path.write_text(export(OVERRIDE, SINGLE.replace("Sehtest Müller", "Sehtest Meier"), SERIES, ALL_DAY),
                    newline="")
    output = run("--resource", calendar.slug, str(path))
    assert "0 angelegt, 1 aktualisiert, 2 unverändert, 0 übersprungen." in output
    assert Appointment.objects.count() == 3 and stored(calendar, "single@google.com").title == "Sehtest Meier"


def test_folder_of_objects_keeps_each_file_byte_for_byte(calendar, tmp_path):
    one = one_object(vevent("a@example.org"))
    (tmp_path / "a.ics").write_text(one, newline="")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.ICS").write_text(one_object(SERIES, OVERRIDE), newline="")
    (tmp_path / "notes.txt").write_text("not a calendar")
    output = run("--resource", calendar.slug, str(tmp_path), "--no-progress")
    assert "2 angelegt" in output
    assert stored(calendar, "a@example.org").ical == one  # a file that is one object is stored as it is
    assert len(ical.events(ical.parse(stored(calendar, "series@google.com").ical))) == 2


def test_stdin(calendar, monkeypatch):
    output = run("--resource", calendar.slug, "-", stdin=GOOGLE.encode(), monkeypatch=monkeypatch)
    assert "3 angelegt" in output
    assert set(Appointment.objects.values_list("uid", flat=True)) == {
        "series@google.com", "single@google.com", "allday@google.com"}


def test_broken_events_are_skipped_with_the_writers_reason_and_the_rest_imports(calendar, tmp_path):
    backwards = vevent("backwards@example.org", "20261201T110000", "20261201T100000")
    no_uid = vevent("x").replace("UID:x\n", "")
    todo = "BEGIN:VTODO\nUID:todo@example.org\nSUMMARY:Aufgabe\nEND:VTODO\n"
    path = tmp_path / "export.ics"
    path.write_text(export(SINGLE, backwards, no_uid, todo, SERIES), newline="")
    (tmp_path / "latin1.ics").write_bytes(one_object(vevent("l@x", summary="Hörtest")).encode("latin-1"))
    (tmp_path / "truncated.ics").write_text(export(SINGLE).split("END:VEVENT")[0], newline="")
    output = run("--resource", calendar.slug, str(path), str(tmp_path / "latin1.ics"), str(tmp_path / "truncated.ics"))
    assert "2 angelegt, 0 aktualisiert, 0 unverändert, 5 übersprungen." in output
    assert "truncated.ics : Die iCalendar-Daten sind nicht lesbar: BEGIN and END do not match" in output
    assert set(Appointment.objects.values_list("uid", flat=True)) == {"single@google.com", "series@google.com"}
    assert f"backwards@example.org: {InvalidTimes().message}" in output
    assert InvalidObject().message in output and f"todo@example.org: {UnsupportedComponent().message}" in output
    assert "latin1.ics" in output and "nicht lesbar" in output


def test_report_object_level(calendar):
    objects, skipped = importer.read_objects([("export.ics", GOOGLE)])
    assert [o.uid for o in objects] == ["series@google.com", "single@google.com", "allday@google.com"]
    assert skipped == []
    report = importer.import_objects(calendar, objects, batch_size=2)
    assert (report.created, report.updated, report.unchanged, report.skipped) == (3, 0, 0, [])
    assert report.total == 3


def test_progress_counter_when_not_a_terminal(calendar, tmp_path):
    path = tmp_path / "many.ics"
    path.write_text(export(*(vevent(f"e{i}@x", f"202612{1 + i % 28:02d}T100000", f"202612{1 + i % 28:02d}T103000")
                             for i in range(25))), newline="")
    output = run("--resource", calendar.slug, str(path), "--batch-size", "10")
    assert "10/25" in output and "20/25" in output and "25/25" in output and "\r" not in output
    assert "25 angelegt" in output


def test_double_booking_is_flagged_not_refused(calendar, tmp_path):
    path = tmp_path / "export.ics"
    path.write_text(export(vevent("one@x"), vevent("two@x")), newline="")
    output = run("--resource", calendar.slug, str(path))
    assert "2 angelegt" in output and "1 importierter Termin belegt eine Ressource doppelt (markiert)." in output


def test_unknown_resource_and_missing_file(calendar, tmp_path):
    with pytest.raises(CommandError):
        run("--resource", "nobody", str(tmp_path))
    with pytest.raises(CommandError):
        run("--resource", calendar.slug, str(tmp_path / "missing.ics"))


def test_progress_bar_on_a_terminal():
    from django.core.management.base import OutputWrapper

    from scheduler.management.commands.import_ics import ProgressBar

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    screen = Terminal()
    bar = ProgressBar(OutputWrapper(screen))
    bar(5, 10)
    bar(10, 10)
    text = screen.getvalue()
    assert text.startswith("\r[" + "#" * 15 + "." * 15 + "] 5/10  50 %")
    assert "\r[" + "#" * 30 + "] 10/10 100 %" in text and text.endswith("\n") and text.count("\n") == 1
