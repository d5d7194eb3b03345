"""Real clients against the live server: python-caldav and vdirsyncer (D2, D4, D5)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import caldav
import icalendar
import pytest

from scheduler import services
from scheduler.models import Appointment
from tests import factories as f

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def client_for(live_server, dav):
    def connect(url: str = "") -> caldav.DAVClient:
        return caldav.DAVClient(url=live_server.url + url, username="anna-phone", password=PASSWORD)
    return connect


def calendars_by_url(principal):
    return {str(c.url).split("/caldav/", 1)[1]: c for c in principal.calendars()}


def test_discovery_from_bare_server_url_finds_exactly_the_allowed_calendars(client_for, dav):
    principal = client_for("/").principal()
    found = calendars_by_url(principal)
    assert set(found) == {f"anna-phone/{dav.person.slug}/", f"anna-phone/{dav.room.slug}/"}
    names = {c.get_display_name() for c in found.values()}
    assert names == {"Anna Becker", "Refraktionsraum"}


def test_create_read_update_delete_through_the_client(client_for, dav):
    cal = calendars_by_url(client_for("/").principal())[f"anna-phone/{dav.person.slug}/"]
    ev = cal.save_event(dtstart=dt.datetime(2026, 11, 30, 10, tzinfo=dt.timezone.utc),
                        dtend=dt.datetime(2026, 11, 30, 11, tzinfo=dt.timezone.utc),
                        summary="Vom Telefon", uid="client-crud-1")
    appt = Appointment.objects.get(uid="client-crud-1")
    # D4: an appointment of that resource, in the credential's branch, from the phone
    assert appt.source == "phone" and appt.branch == dav.credential.branch
    assert list(appt.bookings.values_list("resource", flat=True)) == [dav.person.pk]
    ev = cal.event_by_uid("client-crud-1")
    comp = ev.icalendar_component
    assert str(comp["SUMMARY"]) == "Vom Telefon"
    comp["SUMMARY"] = icalendar.vText("Geändert am Telefon")
    ev.save()
    appt.refresh_from_db()
    assert appt.title == "Geändert am Telefon"
    ev.delete()
    appt.refresh_from_db()
    assert appt.deleted_at is not None
    assert [e for e in cal.events() if "client-crud-1" in e.data] == []


def test_admin_edit_is_seen_by_the_client(client_for, dav):
    appt = f.appointment([dav.person], uid="admin-edit-1", title="Vorher")
    cal = calendars_by_url(client_for("/").principal())[f"anna-phone/{dav.person.slug}/"]
    assert str(cal.event_by_uid("admin-edit-1").icalendar_component["SUMMARY"]) == "Vorher"
    appt.title = "Im Terminplaner geändert"
    services.save_appointment(appt)
    assert str(cal.event_by_uid("admin-edit-1").icalendar_component["SUMMARY"]) == "Im Terminplaner geändert"


RECURRING = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Test//vdirsyncer//EN
BEGIN:VEVENT
UID:vds-series
DTSTAMP:20261101T000000Z
DTSTART;TZID=Europe/Berlin:20261006T090000
DTEND;TZID=Europe/Berlin:20261006T100000
RRULE:FREQ=WEEKLY;COUNT=8
EXDATE;TZID=Europe/Berlin:20261020T090000
SUMMARY:Teamrunde
END:VEVENT
BEGIN:VEVENT
UID:vds-series
DTSTAMP:20261101T000000Z
RECURRENCE-ID;TZID=Europe/Berlin:20261103T090000
DTSTART;TZID=Europe/Berlin:20261104T140000
DTEND;TZID=Europe/Berlin:20261104T150000
SUMMARY:Teamrunde (verschoben)
END:VEVENT
END:VCALENDAR
"""

WITH_TZ_AND_ALARM = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Test//vdirsyncer//EN
BEGIN:VTIMEZONE
TZID:Custom/Hamburg
BEGIN:STANDARD
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
UID:vds-alarm
DTSTAMP:20261101T000000Z
DTSTART;TZID=Custom/Hamburg:20261125T080000
DTEND;TZID=Custom/Hamburg:20261125T083000
SUMMARY:Lieferung
X-SOMETHING-CUSTOM:bleibt
BEGIN:VALARM
ACTION:DISPLAY
DESCRIPTION:Gleich
TRIGGER:-PT15M
END:VALARM
END:VEVENT
END:VCALENDAR
"""


def vdirsyncer(config: Path, *args) -> str:
    exe = Path(sys.executable).with_name("vdirsyncer")
    proc = subprocess.run([str(exe), "-c", str(config), *args], capture_output=True, text=True, timeout=120,
                          input="y\n")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout + proc.stderr


def write_config(tmp: Path, name: str, url: str) -> Path:
    local = tmp / name
    local.mkdir()
    cfg = tmp / f"{name}.conf"
    cfg.write_text(f"""[general]
status_path = "{tmp}/{name}-status/"

[pair cal]
a = "local"
b = "remote"
collections = null

[storage local]
type = "filesystem"
path = "{local}/"
fileext = ".ics"

[storage remote]
type = "caldav"
url = "{url}"
username = "anna-phone"
password = "{PASSWORD}"
""")
    return cfg


def test_vdirsyncer_round_trip_loses_and_alters_nothing(live_server, dav, tmp_path):
    url = f"{live_server.url}/caldav/anna-phone/{dav.person.slug}/"
    cfg = write_config(tmp_path, "one", url)
    originals = {"vds-series": RECURRING.replace("\n", "\r\n"), "vds-alarm": WITH_TZ_AND_ALARM.replace("\n", "\r\n")}
    for uid, text in originals.items():
        (tmp_path / "one" / f"{uid}.ics").write_text(text, newline="")
    vdirsyncer(cfg, "discover")
    out = vdirsyncer(cfg, "sync")
    assert "Copying (uploading)" in out
    assert set(Appointment.objects.values_list("uid", flat=True)) == set(originals)
    for uid, text in originals.items():
        assert Appointment.objects.get(uid=uid).ical == text  # stored exactly as sent
    # nothing changed: a second sync transfers nothing
    again = vdirsyncer(cfg, "sync")
    assert "Copying" not in again and "Deleting" not in again
    # and back: a fresh local folder receives exactly the same objects
    cfg2 = write_config(tmp_path, "two", url)
    vdirsyncer(cfg2, "discover")
    vdirsyncer(cfg2, "sync")
    back = {p.stem: p.read_bytes().decode() for p in (tmp_path / "two").glob("*.ics")}
    by_uid = {icalendar.Calendar.from_ical(t).walk("VEVENT")[0]["UID"]: t for t in back.values()}
    assert by_uid == originals
    series = icalendar.Calendar.from_ical(by_uid["vds-series"])
    assert len(series.walk("VEVENT")) == 2 and "EXDATE" in series.walk("VEVENT")[0]
    alarm = icalendar.Calendar.from_ical(by_uid["vds-alarm"]).walk("VEVENT")[0]
    assert alarm["X-SOMETHING-CUSTOM"] == "bleibt" and alarm.walk("VALARM")
