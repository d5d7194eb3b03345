"""Editing an appointment keeps what the scheduler does not model (issue 2, D5)."""

import datetime as dt

import icalendar
import pytest

from scheduler import services
from tests import factories as f

pytestmark = pytest.mark.django_db

CLIENT_OBJECT = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Apple Inc.//iOS 18.0//EN
X-WR-CALNAME:Arbeit
BEGIN:VTIMEZONE
TZID:W. Europe Standard Time
BEGIN:STANDARD
DTSTART:16011028T030000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010325T020000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
UID:client-uid-1
DTSTAMP:20261101T080000Z
DTSTART;TZID=W. Europe Standard Time:20261124T100000
DTEND;TZID=W. Europe Standard Time:20261124T110000
SUMMARY:Kundentermin
X-APPLE-TRAVEL-ADVISORY-BEHAVIOR:AUTOMATIC
ATTENDEE;CN=Kunde;PARTSTAT=ACCEPTED:mailto:kunde@example.com
BEGIN:VALARM
ACTION:DISPLAY
DESCRIPTION:Erinnerung
TRIGGER:-PT15M
X-WR-ALARMUID:alarm-1
END:VALARM
END:VEVENT
END:VCALENDAR
""".replace("\n", "\r\n")


def master(text):
    return next(c for c in icalendar.Calendar.from_ical(text).walk("VEVENT"))


def test_client_object_is_stored_verbatim_and_fields_extracted():
    res = f.room()
    appt = services.create_appointment(branch=res.branch, resources=[res], ical_text=CLIENT_OBJECT, source="phone")
    assert appt.ical == CLIENT_OBJECT
    assert appt.uid == "client-uid-1"
    assert appt.title == "Kundentermin"
    assert appt.timezone == "Europe/Berlin"  # Windows zone name mapped
    assert appt.start == dt.datetime(2026, 11, 24, 9, tzinfo=dt.timezone.utc)


def test_edit_keeps_unmodelled_properties():
    res = f.room()
    appt = services.create_appointment(branch=res.branch, resources=[res], ical_text=CLIENT_OBJECT)
    before = master(appt.ical)
    appt.title = "Kundentermin (verlegt)"
    appt.place = "Raum 2"
    services.save_appointment(appt)
    appt.refresh_from_db()
    after_cal = icalendar.Calendar.from_ical(appt.ical)
    after = master(appt.ical)
    assert str(after["SUMMARY"]) == "Kundentermin (verlegt)"
    assert str(after["LOCATION"]) == "Raum 2"
    # unchanged start: the client's own TZID stays, and so does its VTIMEZONE
    assert after["DTSTART"].params["TZID"] == "W. Europe Standard Time"
    assert [tz["TZID"] for tz in after_cal.walk("VTIMEZONE")] == ["W. Europe Standard Time"]
    assert after["X-APPLE-TRAVEL-ADVISORY-BEHAVIOR"] == before["X-APPLE-TRAVEL-ADVISORY-BEHAVIOR"]
    assert after["ATTENDEE"] == before["ATTENDEE"]
    assert after["ATTENDEE"].params["CN"] == "Kunde"
    assert after_cal["X-WR-CALNAME"] == "Arbeit"
    alarms = after.walk("VALARM")
    assert len(alarms) == 1 and alarms[0]["X-WR-ALARMUID"] == "alarm-1"
    assert alarms[0].decoded("TRIGGER") == dt.timedelta(minutes=-15)
    assert after["UID"] == "client-uid-1"


def test_edit_of_time_rewrites_only_times():
    res = f.room()
    appt = services.create_appointment(branch=res.branch, resources=[res], ical_text=CLIENT_OBJECT)
    old_etag = appt.etag
    appt.start += dt.timedelta(hours=2)
    appt.end += dt.timedelta(hours=2)
    services.save_appointment(appt)
    appt.refresh_from_db()
    ev = master(appt.ical)
    assert ev.decoded("DTSTART") == dt.datetime(2026, 11, 24, 12, tzinfo=f.BERLIN)
    assert ev.decoded("DTEND") == dt.datetime(2026, 11, 24, 13, tzinfo=f.BERLIN)
    assert len(ev.walk("VALARM")) == 1
    assert appt.etag != old_etag
