"""calendar-query with recurrence against a reference expansion (RFC 4791 §7.8, §9.9; D2)."""

import datetime as dt
import zoneinfo

import caldav
import icalendar
import pytest
import recurring_ical_events

from scheduler import services
from tests.caldav.conftest import NS, PASSWORD, hrefs, propstats, request, xml

from . import data

UTC = dt.timezone.utc
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")

RANGES = [
    ("spring DST week", dt.datetime(2026, 3, 23, tzinfo=UTC), dt.datetime(2026, 3, 30, tzinfo=UTC)),
    ("after spring DST", dt.datetime(2026, 3, 30, tzinfo=UTC), dt.datetime(2026, 4, 6, tzinfo=UTC)),
    ("excluded instance", dt.datetime(2026, 3, 19, tzinfo=UTC), dt.datetime(2026, 3, 20, tzinfo=UTC)),
    ("autumn DST", dt.datetime(2026, 10, 20, tzinfo=UTC), dt.datetime(2026, 10, 28, tzinfo=UTC)),
    ("override moved far", dt.datetime(2026, 12, 1, tzinfo=UTC), dt.datetime(2026, 12, 8, tzinfo=UTC)),
    ("all-day edge (Berlin midnight)", dt.datetime(2026, 3, 30, 21, tzinfo=UTC), dt.datetime(2026, 3, 31, tzinfo=UTC)),
    ("nothing", dt.datetime(2025, 1, 1, tzinfo=UTC), dt.datetime(2025, 2, 1, tzinfo=UTC)),
]


def load(dav, which=None):
    for uid, text in data.ALL.items():
        if which is None or uid in which:
            services.create_appointment(branch=dav.branch, resources=[dav.person], ical_text=text,
                                        names={dav.person.pk: f"{uid}.ics"})


def reference(start, end, tz=BERLIN):
    """Instances per recurring_ical_events, floating/all-day evaluated in the calendar's zone."""
    out = set()
    for text in data.ALL.values():
        for inst in recurring_ical_events.of(icalendar.Calendar.from_ical(text)).between(
                start.astimezone(tz), end.astimezone(tz)):
            out.add((str(inst["UID"]), _utc(inst.decoded("DTSTART"))))
    return out


def _utc(value, tz=BERLIN):
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time(0), tzinfo=tz)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)


def query_body(start, end, props="<D:getetag/>", extra=""):
    return f"""<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop>{props}</D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:time-range start="{start:%Y%m%dT%H%M%SZ}" end="{end:%Y%m%dT%H%M%SZ}"/>{extra}
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"""


@pytest.mark.django_db
@pytest.mark.parametrize("label,start,end", RANGES, ids=[r[0] for r in RANGES])
def test_raw_query_objects_match_reference(client, dav, label, start, end):
    """Thunderbird/Evolution style: time-range with getetag; objects = those with an instance in range."""
    load(dav)
    resp = request(client, "REPORT", dav.path(dav.person), query_body(start, end), depth="1")
    assert resp.status_code == 207
    got = {h.rsplit("/", 1)[1].removesuffix(".ics") for h in hrefs(resp)}
    assert got == {uid for uid, _ in reference(start, end)}, label


@pytest.mark.django_db
def test_expand_returns_utc_instances_with_recurrence_id(client, dav):
    load(dav, {"series"})
    start, end = dt.datetime(2026, 3, 23, tzinfo=UTC), dt.datetime(2026, 4, 6, tzinfo=UTC)
    props = (f'<C:calendar-data><C:expand start="{start:%Y%m%dT%H%M%SZ}" end="{end:%Y%m%dT%H%M%SZ}"/>'
             "</C:calendar-data>")
    resp = request(client, "REPORT", dav.path(dav.person), query_body(start, end, props), depth="1")
    text = propstats(resp, dav.path(dav.person, "series.ics"))["200"][
        "{urn:ietf:params:xml:ns:caldav}calendar-data"].text
    cal = icalendar.Calendar.from_ical(text)
    instances = sorted((e.decoded("RECURRENCE-ID"), e.decoded("DTSTART")) for e in cal.walk("VEVENT"))
    assert instances == [
        (dt.datetime(2026, 3, 26, 8, tzinfo=UTC), dt.datetime(2026, 3, 26, 8, tzinfo=UTC)),  # CET
        (dt.datetime(2026, 4, 2, 7, tzinfo=UTC), dt.datetime(2026, 4, 3, 13, tzinfo=UTC)),  # moved, CEST
    ]
    assert "RRULE" not in text and "VTIMEZONE" not in text and "TZID" not in text


@pytest.mark.django_db
def test_partial_calendar_data(client, dav):
    load(dav, {"single"})
    props = """<C:calendar-data><C:comp name="VCALENDAR"><C:prop name="VERSION"/>
      <C:comp name="VEVENT"><C:prop name="SUMMARY"/><C:prop name="UID"/></C:comp></C:comp></C:calendar-data>"""
    resp = request(client, "REPORT", dav.path(dav.person), query_body(
        dt.datetime(2026, 3, 25, tzinfo=UTC), dt.datetime(2026, 3, 26, tzinfo=UTC), props), depth="1")
    text = propstats(resp, dav.path(dav.person, "single.ics"))["200"][
        "{urn:ietf:params:xml:ns:caldav}calendar-data"].text
    ev = icalendar.Calendar.from_ical(text).walk("VEVENT")[0]
    assert set(ev.keys()) == {"SUMMARY", "UID"}
    assert "PRODID" not in text and "VERSION:2.0" in text


@pytest.mark.django_db
@pytest.mark.parametrize("extra,expected", [
    ('<C:prop-filter name="SUMMARY"><C:text-match>müller</C:text-match></C:prop-filter>', {"single"}),
    ('<C:prop-filter name="SUMMARY"><C:text-match negate-condition="yes">müller</C:text-match></C:prop-filter>',
     {"series", "allday"}),
    ('<C:prop-filter name="CATEGORIES"><C:is-not-defined/></C:prop-filter>', {"single", "allday"}),
    ('<C:prop-filter name="DTSTART"><C:param-filter name="VALUE"><C:text-match>DATE</C:text-match>'
     '</C:param-filter></C:prop-filter>', {"allday"}),
])
def test_prop_and_param_filters(client, dav, extra, expected):
    load(dav)
    start, end = dt.datetime(2026, 3, 20, tzinfo=UTC), dt.datetime(2026, 4, 1, tzinfo=UTC)
    resp = request(client, "REPORT", dav.path(dav.person), query_body(start, end, extra=extra), depth="1")
    assert resp.status_code == 207, resp.content
    assert {h.rsplit("/", 1)[1].removesuffix(".ics") for h in hrefs(resp)} == expected


@pytest.mark.django_db
@pytest.mark.parametrize("extra,condition", [
    ('<C:prop-filter name="SUMMARY"><C:text-match collation="i;klingon">x</C:text-match></C:prop-filter>',
     "supported-collation"),
    ('<C:prop-filter name="DTSTAMP"><C:time-range start="20260101T000000Z"/></C:prop-filter>', "supported-filter"),
    # (a time-range on VALARM is supported: tests/caldav_reports/test_alarm_query.py)
    ('<C:comp-filter name="VFREEBUSY"><C:time-range start="20260101T000000Z"/></C:comp-filter>', "supported-filter"),
])
def test_unsupported_filters_are_refused_not_ignored(client, dav, extra, condition):
    start, end = dt.datetime(2026, 3, 20, tzinfo=UTC), dt.datetime(2026, 4, 1, tzinfo=UTC)
    resp = request(client, "REPORT", dav.path(dav.person), query_body(start, end, extra=extra), depth="1")
    assert resp.status_code == 403
    assert xml(resp).find(f"C:{condition}", NS) is not None


@pytest.mark.django_db
def test_vtodo_query_is_empty_not_an_error(client, dav):
    load(dav)
    body = """<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/>
      </D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VTODO"/></C:comp-filter>
      </C:filter></C:calendar-query>"""
    resp = request(client, "REPORT", dav.path(dav.person), body, depth="1")
    assert resp.status_code == 207 and hrefs(resp) == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("label,start,end", RANGES, ids=[r[0] for r in RANGES])
def test_caldav_client_search_matches_reference_expansion(live_server, dav, label, start, end):
    load(dav)
    client = caldav.DAVClient(url=live_server.url + "/", username="anna-phone", password=PASSWORD)
    cal = client.calendar(url=f"{live_server.url}{dav.path(dav.person)}")
    found = set()
    for obj in cal.search(start=start, end=end, event=True, expand=True):
        for ev in icalendar.Calendar.from_ical(obj.data).walk("VEVENT"):
            found.add((str(ev["UID"]), _utc(ev.decoded("DTSTART"))))
    assert found == reference(start, end), label


ENDLESS = data.cal("""BEGIN:VEVENT
UID:endless
DTSTAMP:20260101T000000Z
DTSTART;TZID=Europe/Berlin:20260105T080000
DTEND;TZID=Europe/Berlin:20260105T090000
RRULE:FREQ=WEEKLY;BYDAY=MO
EXDATE;TZID=Europe/Berlin:20270104T080000
SUMMARY:Wochenstart
END:VEVENT
""")


@pytest.mark.django_db
@pytest.mark.parametrize("start,expected", [
    (dt.datetime(2026, 6, 1, tzinfo=UTC), {"endless"}),     # inside the occurrence table
    (dt.datetime(2027, 1, 4, tzinfo=UTC), set()),           # the excluded Monday, from the table
    (dt.datetime(2035, 6, 4, tzinfo=UTC), {"endless"}),     # beyond the table's horizon: expanded
    (dt.datetime(2035, 6, 5, tzinfo=UTC), set()),           # Tuesday to Sunday: no instance
])
def test_endless_series_from_table_and_beyond_horizon(client, dav, start, expected):
    services.create_appointment(branch=dav.branch, resources=[dav.person], ical_text=ENDLESS,
                                names={dav.person.pk: "endless.ics"})
    end = start + dt.timedelta(days=1) if expected else start + dt.timedelta(days=6)
    if start.day == 5:
        end = start + dt.timedelta(days=6)
    resp = request(client, "REPORT", dav.path(dav.person), query_body(start, end), depth="1")
    assert {h.rsplit("/", 1)[1].removesuffix(".ics") for h in hrefs(resp)} == expected


@pytest.mark.django_db
def test_occurrence_table_follows_edits(dav):
    from scheduler.models import Appointment

    appt = services.create_appointment(branch=dav.branch, resources=[dav.person], ical_text=data.SERIES)
    n = appt.occurrences.count()
    assert n == Appointment.objects.get(pk=appt.pk).occurrences.count() > 20
    appt.rrule = "FREQ=WEEKLY;COUNT=3"
    services.save_appointment(appt)
    starts = sorted(appt.occurrences.values_list("start", flat=True))
    # COUNT=3 gives 12 and 26 March (19 March is excluded); the two overrides stay instances of their own,
    # exactly as the expansion of calendar-query sees them
    assert starts == [dt.datetime(2026, 3, 12, 8, tzinfo=UTC), dt.datetime(2026, 3, 26, 8, tzinfo=UTC),
                      dt.datetime(2026, 4, 3, 13, tzinfo=UTC), dt.datetime(2026, 12, 2, 8, tzinfo=UTC)]


@pytest.mark.django_db
def test_limit_recurrence_set_keeps_master_and_relevant_overrides(client, dav):
    load(dav, {"series"})
    start, end = dt.datetime(2026, 3, 30, tzinfo=UTC), dt.datetime(2026, 4, 6, tzinfo=UTC)
    props = (f'<C:calendar-data><C:limit-recurrence-set start="{start:%Y%m%dT%H%M%SZ}" '
             f'end="{end:%Y%m%dT%H%M%SZ}"/></C:calendar-data>')
    resp = request(client, "REPORT", dav.path(dav.person), query_body(start, end, props), depth="1")
    text = propstats(resp, dav.path(dav.person, "series.ics"))["200"][
        "{urn:ietf:params:xml:ns:caldav}calendar-data"].text
    events = icalendar.Calendar.from_ical(text).walk("VEVENT")
    assert "RRULE" in events[0] and "RECURRENCE-ID" not in events[0]  # the master stays
    overrides = [e.decoded("RECURRENCE-ID") for e in events[1:]]
    assert overrides == [dt.datetime(2026, 4, 2, 9, tzinfo=BERLIN)]  # the October override is left out
