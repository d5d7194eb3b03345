"""calendar-query with a time-range on VALARM: the alarm's trigger times (RFC 4791 §9.9).

python-caldav's search(alarm_start=..., alarm_end=...) sends
VCALENDAR > VEVENT > VALARM > time-range; this answered 403 supported-filter before.
"""

from __future__ import annotations

import datetime as dt

import caldav
import pytest

from scheduler import services
from tests.caldav.conftest import PASSWORD, hrefs, request, xml

from . import data

UTC = dt.timezone.utc

# 10:00 Berlin (09:00Z) for an hour, reminder 15 minutes before: fires 08:45Z
BEFORE_START = data.cal("""BEGIN:VEVENT
UID:before-start
DTSTAMP:20260101T000000Z
DTSTART;TZID=Europe/Berlin:20260325T100000
DTEND;TZID=Europe/Berlin:20260325T110000
SUMMARY:Sehtest
BEGIN:VALARM
ACTION:DISPLAY
DESCRIPTION:Sehtest
TRIGGER:-PT15M
END:VALARM
END:VEVENT
""")

# 5 minutes before the end (11:00 Berlin = 10:00Z): 09:55Z, then twice more 5 minutes apart
RELATED_END_REPEAT = data.cal("""BEGIN:VEVENT
UID:related-end
DTSTAMP:20260101T000000Z
DTSTART;TZID=Europe/Berlin:20260326T100000
DTEND;TZID=Europe/Berlin:20260326T110000
SUMMARY:Hörtest
BEGIN:VALARM
ACTION:AUDIO
TRIGGER;RELATED=END:-PT5M
REPEAT:2
DURATION:PT5M
END:VALARM
END:VEVENT
""")

# an absolute trigger, days before the appointment
ABSOLUTE = data.cal("""BEGIN:VEVENT
UID:absolute
DTSTAMP:20260101T000000Z
DTSTART;TZID=Europe/Berlin:20260401T140000
DTEND;TZID=Europe/Berlin:20260401T150000
SUMMARY:Inventur
BEGIN:VALARM
ACTION:DISPLAY
DESCRIPTION:Inventur vorbereiten
TRIGGER;VALUE=DATE-TIME:20260320T070000Z
END:VALARM
END:VEVENT
""")

# Mondays 09:00 Berlin, endless, reminder a day before (Sunday 08:00Z in winter, 07:00Z in summer);
# 6 April 2026 excluded; 13 April moved to 14 April with its own
# reminder 2 hours before.
WEEKLY = data.cal("""BEGIN:VEVENT
UID:weekly
DTSTAMP:20260101T000000Z
DTSTART;TZID=Europe/Berlin:20260302T090000
DTEND;TZID=Europe/Berlin:20260302T093000
RRULE:FREQ=WEEKLY
EXDATE;TZID=Europe/Berlin:20260406T090000
SUMMARY:Wochenplanung
BEGIN:VALARM
ACTION:DISPLAY
DESCRIPTION:Morgen Wochenplanung
TRIGGER:-P1D
END:VALARM
END:VEVENT
BEGIN:VEVENT
UID:weekly
DTSTAMP:20260101T000000Z
RECURRENCE-ID;TZID=Europe/Berlin:20260413T090000
DTSTART;TZID=Europe/Berlin:20260414T090000
DTEND;TZID=Europe/Berlin:20260414T093000
SUMMARY:Wochenplanung (Dienstag)
BEGIN:VALARM
ACTION:DISPLAY
DESCRIPTION:Gleich Wochenplanung
TRIGGER:-PT2H
END:VALARM
END:VEVENT
""")

OBJECTS = {"before-start": BEFORE_START, "related-end": RELATED_END_REPEAT, "absolute": ABSOLUTE,
           "weekly": WEEKLY, "single": data.SINGLE, "series": data.SERIES}


def load(dav):
    for uid, text in OBJECTS.items():
        services.create_appointment(branch=dav.branch, resources=[dav.person], ical_text=text,
                                    names={dav.person.pk: f"{uid}.ics"})


def alarm_query(start: dt.datetime | None, end: dt.datetime | None, event_range: str = "",
                alarm_extra: str = "") -> str:
    """The body python-caldav's search(event=True, alarm_start=..., alarm_end=...) sends."""
    bounds = "".join(f' {name}="{value:%Y%m%dT%H%M%SZ}"' for name, value in (("start", start), ("end", end))
                     if value is not None)
    return f"""<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/><C:calendar-data/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">{event_range}
    <C:comp-filter name="VALARM"><C:time-range{bounds}/>{alarm_extra}</C:comp-filter>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"""


def found(client, dav, body: str) -> set[str]:
    resp = request(client, "REPORT", dav.path(dav.person), body, depth="1")
    assert resp.status_code == 207, resp.content
    return {h.rsplit("/", 1)[1].removesuffix(".ics") for h in hrefs(resp)}


def t(day: int, hour: int, minute: int = 0, month: int = 3, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


CASES = [
    # (label, start, end, expected uids)
    ("relative to start: 08:45Z", t(25, 8, 40), t(25, 8, 50), {"before-start"}),
    ("the event itself, not its alarm", t(25, 8, 50), t(25, 10), set()),
    ("end is exclusive", t(25, 8, 30), t(25, 8, 45), set()),
    ("start is inclusive", t(25, 8, 45), t(25, 8, 46), {"before-start"}),
    ("RELATED=END: 09:55Z", t(26, 9, 54), t(26, 9, 56), {"related-end"}),
    ("second repetition: 10:05Z", t(26, 10, 4), t(26, 10, 6), {"related-end"}),
    ("after the last repetition", t(26, 10, 6), t(26, 12), set()),
    ("absolute DATE-TIME trigger", t(20, 6), t(20, 8), {"absolute"}),
    ("absolute: not at the appointment", t(1, 11, month=4), t(1, 14, month=4), set()),
    ("recurring: Sunday before (CET)", t(8, 7, 30), t(8, 8, 30), {"weekly"}),
    ("recurring: a CEST hour in a CET week", t(22, 6, 30), t(22, 7, 30), set()),
    ("recurring: Sunday 29 March, CEST", t(29, 6, 30), t(29, 7, 30), {"weekly"}),
    ("recurring: excluded instance", t(5, 6, month=4), t(5, 8, month=4), set()),
    ("recurring: moved instance's own alarm", t(14, 5, month=4), t(14, 6, month=4), {"weekly"}),
    ("recurring: moved instance, master's alarm not", t(12, 6, month=4), t(12, 8, month=4), set()),
    ("recurring: endless, years ahead", t(4, 7, month=11, year=2029), t(4, 9, month=11, year=2029), {"weekly"}),
    ("events without alarms never match", t(1, 0), t(1, 0, month=12), {"before-start", "related-end",
                                                                         "absolute", "weekly"}),
]


@pytest.mark.django_db
@pytest.mark.parametrize("label,start,end,expected", CASES, ids=[c[0] for c in CASES])
def test_valarm_time_range_matches_trigger_times(client, dav, label, start, end, expected):
    load(dav)
    assert found(client, dav, alarm_query(start, end)) == expected, label


@pytest.mark.django_db
def test_open_ended_alarm_range(client, dav):
    load(dav)
    # only an end: the first weekly reminder (Sunday 1 March 08:00Z)
    assert found(client, dav, alarm_query(None, t(8, 0))) == {"weekly"}
    # only a start: the endless series fires for ever; the others are in the past
    assert found(client, dav, alarm_query(t(1, 0, month=5), None)) == {"weekly"}


@pytest.mark.django_db
def test_valarm_range_with_event_range_and_prop_filter(client, dav):
    load(dav)
    # the VEVENT's own range picks the instance, its alarm must fire in the alarm range
    week = '<C:time-range start="20260309T000000Z" end="20260316T000000Z"/>'
    assert found(client, dav, alarm_query(t(8, 7), t(8, 9), event_range=week)) == {"weekly"}
    assert found(client, dav, alarm_query(t(15, 7), t(15, 9), event_range=week)) == set()
    # a prop-filter on the alarm itself
    audio = '<C:prop-filter name="ACTION"><C:text-match>AUDIO</C:text-match></C:prop-filter>'
    assert found(client, dav, alarm_query(t(1, 0), t(1, 0, month=5), alarm_extra=audio)) == {"related-end"}


@pytest.mark.django_db
def test_invalid_alarm_range_is_refused_as_invalid(client, dav):
    resp = request(client, "REPORT", dav.path(dav.person), alarm_query(t(26, 10), t(26, 9)), depth="1")
    assert resp.status_code == 403
    assert xml(resp).find("{urn:ietf:params:xml:ns:caldav}valid-filter") is not None


@pytest.mark.django_db(transaction=True)
def test_python_caldav_alarm_search(live_server, dav):
    """python-caldav's functional testAlarm: search(event=True, alarm_start=, alarm_end=)."""
    load(dav)
    client = caldav.DAVClient(url=live_server.url + dav.path(dav.person), username="anna-phone",
                              password=PASSWORD)
    calendar = client.calendar(url=live_server.url + dav.path(dav.person))

    def uids(start, end, **kw):
        return {str(ev.icalendar_component["UID"])
                for ev in calendar.search(event=True, alarm_start=start, alarm_end=end, **kw)}

    assert uids(t(25, 8, 40), t(25, 8, 50)) == {"before-start"}
    assert uids(t(25, 8, 50), t(25, 10)) == set()
    # without the client's own post-filter the answer is the server's alone
    assert uids(t(25, 8, 40), t(25, 8, 50), post_filter=False) == {"before-start"}
    assert uids(t(8, 7, 30), t(8, 8, 30), post_filter=False) == {"weekly"}
    assert uids(t(5, 6, month=4), t(5, 8, month=4), post_filter=False) == set()


# Issue 13: an alarm query expands only the objects that carry a VALARM (``Appointment.has_alarm``).
@pytest.mark.django_db
def test_alarm_query_parses_only_objects_with_alarms(client, dav, monkeypatch):
    from caldav_endpoint.reports import calendar_query
    from scheduler import ical
    from scheduler.models import Appointment

    load(dav)
    for i in range(20):  # plain appointments: candidates of every query before the column
        services.create_appointment(branch=dav.branch, resources=[dav.person], ical_text=data.cal(f"""BEGIN:VEVENT
UID:plain-{i}
DTSTAMP:20260101T000000Z
DTSTART:202603{10 + i % 10:02d}T090000Z
DTEND:202603{10 + i % 10:02d}T100000Z
SUMMARY:ohne Erinnerung
END:VEVENT
"""))
    with_alarm = set(Appointment.objects.filter(has_alarm=True).values_list("uid", flat=True))
    assert with_alarm == {"before-start", "related-end", "absolute", "weekly"}
    parsed = []
    real_parse = ical.parse
    monkeypatch.setattr(calendar_query.ical, "parse", lambda text: parsed.append(text) or real_parse(text))
    assert found(client, dav, alarm_query(t(1, 0), t(1, 0, month=5))) == with_alarm  # all four fire in the range
    assert 0 < len(parsed) <= len(with_alarm)
    assert all(ical.has_alarm(text) for text in parsed)


def test_has_alarm_reads_any_case():
    from scheduler import ical

    assert ical.has_alarm("BEGIN:VCALENDAR\r\nbegin:valarm\r\n")
    assert not ical.has_alarm("BEGIN:VCALENDAR\r\nDESCRIPTION:kein VALARM-Block\r\n")
