"""The benchmark's data set: N deterministic iCalendar objects, written as one ``.ics`` file each.

The same files are loaded into every server (``import_ics`` for Terminsync, the peers' storage
directly), so every server answers from identical objects. The mix is the one of issue 13:
business-hours appointments over ±1 year around ``CENTRE``, 10 % weekly series with an EXDATE
and a moved instance, 2 % all-day, a third in a named time zone (with VTIMEZONE), a third with
an alarm, a third with attendees.
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from pathlib import Path

UTC = dt.timezone.utc
CENTRE = dt.date(2026, 11, 23)  # a Monday: the measured week starts here
ZONES = ["Europe/Berlin", "Europe/London", "America/New_York"]


def synthetic(n: int, i: int, rng: random.Random) -> str:
    """Object ``i`` of a data set of size ``n`` (the UID carries both, so sets never collide)."""
    import icalendar

    from scheduler import ical

    day = CENTRE + dt.timedelta(days=rng.randrange(-365, 365))
    cal = icalendar.Calendar()
    cal.add("PRODID", "-//Terminsync//Bench//EN")
    cal.add("VERSION", "2.0")
    ev = icalendar.Event()
    uid = f"bench-{n}-{i}@terminsync"
    ev.add("UID", uid)
    ev.add("DTSTAMP", dt.datetime(2026, 1, 1, tzinfo=UTC))
    ev.add("SUMMARY", f"Termin {i}")
    tz = zoneinfo.ZoneInfo(ZONES[i % 3]) if i % 3 == 0 else UTC
    if i % 50 == 1:  # 2 % all-day
        ev.add("DTSTART", day)
        ev.add("DTEND", day + dt.timedelta(days=1 + i % 2))
    else:
        start = dt.datetime.combine(day, dt.time(8 + rng.randrange(0, 10), rng.choice([0, 15, 30, 45])), tzinfo=tz)
        ev.add("DTSTART", start)
        ev.add("DTEND", start + dt.timedelta(minutes=rng.choice([30, 45, 60, 90])))
        if i % 10 == 2:  # 10 % weekly series with an exception and a moved instance
            ev.add("RRULE", {"FREQ": "WEEKLY", "COUNT": rng.randrange(8, 40)})
            ev.add("EXDATE", start + dt.timedelta(weeks=2))
            moved = icalendar.Event()
            moved.add("UID", uid)
            moved.add("DTSTAMP", dt.datetime(2026, 1, 1, tzinfo=UTC))
            moved.add("RECURRENCE-ID", start + dt.timedelta(weeks=4))
            moved.add("DTSTART", start + dt.timedelta(weeks=4, hours=2))
            moved.add("DTEND", start + dt.timedelta(weeks=4, hours=3))
            moved.add("SUMMARY", f"Termin {i} (verschoben)")
            cal.add_component(moved)
    if i % 3 == 1:
        alarm = icalendar.Alarm()
        alarm.add("ACTION", "DISPLAY")
        alarm.add("DESCRIPTION", "Erinnerung")
        alarm.add("TRIGGER", dt.timedelta(minutes=-15))
        ev.add_component(alarm)
    if i % 3 == 2:
        ev.add("ORGANIZER", "mailto:filiale@example.org")
        ev.add("ATTENDEE", f"mailto:kunde{i}@example.org", parameters={"PARTSTAT": "ACCEPTED"})
    cal.subcomponents.insert(0, ev)
    ical.ensure_timezones(cal)
    return cal.to_ical().decode()


def write(n: int, folder: Path) -> Path:
    """Write the data set of size ``n`` into ``folder/n`` once; later runs reuse the files."""
    target = folder / str(n)
    done = target / ".complete"
    if done.exists():
        return target
    target.mkdir(parents=True, exist_ok=True)
    rng = random.Random(n)
    for i in range(n):
        (target / f"bench-{n}-{i}.ics").write_text(synthetic(n, i, rng), newline="")
    done.write_text("ok\n")
    return target


def objects(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.ics"))
