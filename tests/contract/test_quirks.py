"""Lenient where real clients are sloppy, strict where meaning is lost (issue 13; D5, RFC 4791 §5.3.4).

Each tolerated quirk is PUT through the CalDAV door as a real client sends it and must be
stored (201), indexed (a calendar-query time-range finds it; an alarm query finds its alarm)
and served back byte for byte: the leniency is the parser's (``scheduler.ical.parse``), never a
rewrite of what the client sent.

What stays refused is the table of ``tests/contract/test_doors.py`` (no DTSTART, month 13,
30 February, year 9999, mixed DATE/DATE-TIME, two UIDs, no VEVENT, oversized, NUL, not UTF-8,
FREQ=SECONDLY, ...); the cases at the end of this file add only what sits next to a quirk here:
a duration that no repair can read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from scheduler.models import Appointment
from tests.caldav.conftest import hrefs, request, xml

pytestmark = pytest.mark.django_db
UTC = dt.timezone.utc


def t(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=UTC)


def obj(*, start: str = "DTSTART;TZID=Europe/Berlin:20261201T100000",
        end: str = "DTEND;TZID=Europe/Berlin:20261201T110000", extra: str = "", head: str = "VERSION:2.0\r\n",
        uid: str = "quirk") -> str:
    """10:00-11:00 Berlin (09:00-10:00Z) on 1 December 2026, with ``extra`` lines in the VEVENT."""
    return (f"BEGIN:VCALENDAR\r\n{head}PRODID:-//Quirk//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n"
            f"DTSTAMP:20261101T000000Z\r\n{start}\r\n{end}\r\nSUMMARY:Sehtest\r\n{extra}END:VEVENT\r\nEND:VCALENDAR\r\n")


def alarm(trigger: str, more: str = "") -> str:
    return f"BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Erinnerung\r\n{trigger}\r\n{more}END:VALARM\r\n"


@dataclass
class Quirk:
    """``finds``: a time-range in which the event has an instance; ``misses``: one in which it has none
    (proves the malformed value was understood, not ignored); ``alarm_at``: a range its alarm fires in."""

    name: str
    body: str | bytes
    finds: tuple[dt.datetime, dt.datetime] = (t(1, 9), t(1, 10))
    misses: tuple[dt.datetime, dt.datetime] | None = (t(1, 10), t(1, 11))
    alarm_at: tuple[dt.datetime, dt.datetime] | None = None
    alarm_not_at: tuple[dt.datetime, dt.datetime] | None = None
    stored: dict | None = None  # modelled columns read from it


QUIRKS = [
    Quirk("crlf_reference", obj()),
    # a command-line CalDAV client packaged in Debian: RFC 5545 §3.3.6 wants -PT300S
    Quirk("trigger_seconds_without_T", obj(extra=alarm("TRIGGER:-P300S")),
          alarm_at=(t(1, 8, 55), t(1, 8, 56)), alarm_not_at=(t(1, 8, 56), t(1, 9))),
    Quirk("trigger_duration_typed_without_T", obj(extra=alarm("TRIGGER;VALUE=DURATION:-P15M")),
          alarm_at=(t(1, 8, 45), t(1, 8, 46)), alarm_not_at=(t(1, 8, 46), t(1, 9))),
    Quirk("trigger_lower_case", obj(extra=alarm("trigger;related=end:-pt5m")),
          alarm_at=(t(1, 9, 55), t(1, 9, 56)), alarm_not_at=(t(1, 8, 0), t(1, 9, 54))),
    Quirk("alarm_repeat_duration_without_T", obj(extra=alarm("TRIGGER:-PT15M", "REPEAT:1\r\nDURATION:P10M\r\n")),
          alarm_at=(t(1, 8, 55), t(1, 8, 56)), alarm_not_at=(t(1, 8, 46), t(1, 8, 55))),
    Quirk("event_duration_without_T", obj(end="DURATION:P2H"), misses=(t(1, 11), t(1, 12)),
          finds=(t(1, 10, 30), t(1, 10, 45)), stored={"end": t(1, 11)}),
    Quirk("lower_case_status", obj(extra="status:confirmed\r\n"), stored={"status": "CONFIRMED"}),
    Quirk("lower_case_status_value_keeps_its_meaning", obj(extra="STATUS:cancelled\r\n"),
          stored={"status": "CANCELLED"}),
    Quirk("lower_case_rrule", obj(extra="RRULE:FREQ=weekly;byday=tu;count=3\r\n"),
          finds=(t(15, 0), t(16, 0)), misses=(t(22, 0), t(23, 0)), stored={"rrule": "FREQ=WEEKLY;COUNT=3;BYDAY=TU"}),
    Quirk("missing_version", obj(head="")),
    Quirk("trailing_blank_line", obj() + "\r\n"),
    Quirk("dtend_equal_dtstart", obj(end="DTEND;TZID=Europe/Berlin:20261201T100000"),
          finds=(t(1, 8), t(1, 9, 1)), misses=(t(1, 9, 1), t(1, 10))),
    # an all-day entry ending where it starts is shown on that day by every client: one day
    Quirk("all_day_dtend_equal_dtstart", obj(start="DTSTART;VALUE=DATE:20261201", end="DTEND;VALUE=DATE:20261201"),
          finds=(t(1, 11), t(1, 12)), misses=(t(2, 0), t(2, 1)), stored={"all_day": True, "end": t(1, 23)}),
    Quirk("lf_line_endings", obj().replace("\r\n", "\n")),
    Quirk("lf_with_sloppy_trigger", obj(extra=alarm("TRIGGER:-P300S")).replace("\r\n", "\n"),
          alarm_at=(t(1, 8, 55), t(1, 8, 56))),
    Quirk("utf8_byte_order_mark", "\ufeff" + obj()),
]


def put(client, dav, name: str, body: bytes):
    return request(client, "PUT", dav.path(dav.person, name), body, content_type="text/calendar; charset=utf-8",
                   if_none_match="*")


def time_range_query(start: dt.datetime, end: dt.datetime, alarm_range: bool = False) -> str:
    tr = f'<C:time-range start="{start:%Y%m%dT%H%M%SZ}" end="{end:%Y%m%dT%H%M%SZ}"/>'
    inner = f'<C:comp-filter name="VALARM">{tr}</C:comp-filter>' if alarm_range else tr
    return ('<?xml version="1.0" encoding="utf-8"?><C:calendar-query xmlns:D="DAV:" '
            'xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop><C:filter>'
            f'<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">{inner}</C:comp-filter>'
            '</C:comp-filter></C:filter></C:calendar-query>')


def found(client, dav, start, end, alarm_range=False) -> list[str]:
    resp = request(client, "REPORT", dav.path(dav.person), time_range_query(start, end, alarm_range), depth="1")
    assert resp.status_code == 207, resp.content
    return [h.rsplit("/", 1)[1] for h in hrefs(resp)]


@pytest.mark.parametrize("quirk", QUIRKS, ids=[q.name for q in QUIRKS])
def test_tolerated_quirk_is_stored_indexed_and_served_unchanged(client, dav, quirk):
    body = quirk.body.encode("utf-8") if isinstance(quirk.body, str) else quirk.body
    resp = put(client, dav, "q.ics", body)
    assert resp.status_code == 201, resp.content
    got = request(client, "GET", dav.path(dav.person, "q.ics"))
    assert got.status_code == 200 and got.content == body  # the client's bytes, unchanged (D5)
    assert got["ETag"] == resp["ETag"]
    appt = Appointment.objects.get(uid="quirk")
    for column, value in (quirk.stored or {}).items():
        assert getattr(appt, column) == value, column
    assert found(client, dav, *quirk.finds) == ["q.ics"]
    if quirk.misses:
        assert found(client, dav, *quirk.misses) == []
    if quirk.alarm_at:
        assert found(client, dav, *quirk.alarm_at, alarm_range=True) == ["q.ics"]
    if quirk.alarm_not_at:
        assert found(client, dav, *quirk.alarm_not_at, alarm_range=True) == []


def test_sloppy_trigger_update_keeps_bytes_and_moves_the_alarm(client, dav):
    """A second PUT (If-Match) of the same sloppy client: stored as sent again, the alarm index follows."""
    first = obj(extra=alarm("TRIGGER:-P300S")).encode()
    etag = put(client, dav, "q.ics", first)["ETag"]
    second = obj(extra=alarm("TRIGGER:-P600S")).encode()
    resp = request(client, "PUT", dav.path(dav.person, "q.ics"), second, content_type="text/calendar",
                   if_match=etag)
    assert resp.status_code == 204
    assert request(client, "GET", dav.path(dav.person, "q.ics")).content == second
    assert found(client, dav, t(1, 8, 50), t(1, 8, 51), alarm_range=True) == ["q.ics"]
    assert found(client, dav, t(1, 8, 55), t(1, 8, 56), alarm_range=True) == []


# Strict where meaning is lost: no repair can say when these fire or end (the rest: test_doors.CASES).
REFUSED = [
    ("trigger_not_a_duration", obj(extra=alarm("TRIGGER:soon"))),
    ("duration_not_a_duration", obj(end="DURATION:long")),
    ("duration_with_months", obj(end="DURATION:P1Y")),
]


@pytest.mark.parametrize("name,body", REFUSED, ids=[r[0] for r in REFUSED])
def test_unreadable_values_stay_refused(client, dav, name, body):
    resp = put(client, dav, "bad.ics", body.encode())
    assert resp.status_code == 403, name
    assert xml(resp).find("{urn:ietf:params:xml:ns:caldav}valid-calendar-data") is not None
    assert not Appointment.objects.exists()
