"""Builders for the planner tests: a branch with people and rooms, and ical text for series."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

import icalendar
from django.contrib.auth import get_user_model

from branches.models import Branch
from scheduler import ical
from scheduler.models import Resource
from tests import factories as f

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
UTC = dt.timezone.utc


@dataclass
class Shop:
    branch: Branch
    anna: Resource
    ben: Resource
    room: Resource
    cabin: Resource
    other_branch: Branch
    other_room: Resource


def shop() -> Shop:
    hh = f.branch("hh", name="Hamburg Mitte")
    anna = f.resource(hh, name="Anna Becker")
    ben = f.resource(hh, name="Ben Schulz")
    room = f.room(hh, name="Refraktionsraum", color="#2E8B57")
    cabin = f.room(hh, name="Hörkabine", color="#8A2BE2")
    hl = f.branch("hl", name="Lübeck Altstadt")
    return Shop(hh, anna, ben, room, cabin, hl, f.room(hl, name="Lübecker Raum"))


def superuser(username: str = "chef", password: str = "Chef-Passwort-1"):
    return get_user_model().objects.create_superuser(username, f"{username}@example.com", password)


def weekly_series(uid: str, first: dt.datetime, *, count: int = 8, exdate_week: int | None = None,
                  moved_week: int | None = None, moved_by: dt.timedelta = dt.timedelta(days=1, hours=2),
                  title: str = "Teamrunde") -> str:
    """A weekly series (local ``first``), optionally with an EXDATE and a moved instance."""
    cal = icalendar.Calendar()
    cal.add("PRODID", "-//Terminsync//Test//DE")
    cal.add("VERSION", "2.0")
    master = icalendar.Event()
    master.add("UID", uid)
    master.add("DTSTAMP", dt.datetime(2026, 1, 1, tzinfo=UTC))
    master.add("SUMMARY", title)
    master.add("DTSTART", first)
    master.add("DTEND", first + dt.timedelta(hours=1))
    master.add("RRULE", {"FREQ": "WEEKLY", "COUNT": count})
    if exdate_week is not None:
        master.add("EXDATE", first + dt.timedelta(weeks=exdate_week))
    cal.add_component(master)
    if moved_week is not None:
        moved = icalendar.Event()
        moved.add("UID", uid)
        moved.add("DTSTAMP", dt.datetime(2026, 1, 1, tzinfo=UTC))
        moved.add("RECURRENCE-ID", first + dt.timedelta(weeks=moved_week))
        moved.add("SUMMARY", f"{title} (verschoben)")
        moved.add("DTSTART", first + dt.timedelta(weeks=moved_week) + moved_by)
        moved.add("DTEND", first + dt.timedelta(weeks=moved_week) + moved_by + dt.timedelta(hours=1))
        cal.add_component(moved)
    ical.ensure_timezones(cal)
    return cal.to_ical().decode()


def local(y: int, m: int, d: int, h: int = 0, mi: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, h, mi, tzinfo=BERLIN)
