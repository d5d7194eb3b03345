"""Builders for the import tests: a branch with one person's calendar, and exports as Google and Outlook write them."""

from __future__ import annotations

import pytest

from tests import factories as f


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def calendar(db):
    """Anna's calendar (a person resource) in Hamburg."""
    branch = f.branch("hh", name="Hamburg")
    return f.resource(employee=f.employee(branch, display_name="Anna Becker"), name="Anna Becker")


VTIMEZONE_BERLIN = """BEGIN:VTIMEZONE
TZID:Europe/Berlin
X-LIC-LOCATION:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
"""


def vevent(uid: str, start: str = "20261201T100000", end: str = "20261201T110000", summary: str = "Sehtest",
           extra: str = "") -> str:
    return (f"BEGIN:VEVENT\nDTSTART;TZID=Europe/Berlin:{start}\nDTEND;TZID=Europe/Berlin:{end}\n"
            f"DTSTAMP:20261101T000000Z\nUID:{uid}\nSUMMARY:{summary}\n{extra}END:VEVENT\n")


# Google's order: the override before its master, both apart; calendar-wide X-WR and METHOD.
SERIES = vevent("series@google.com", "20261202T090000", "20261202T093000", "Teamrunde",
                "RRULE:FREQ=WEEKLY;COUNT=4\nEXDATE;TZID=Europe/Berlin:20261209T090000\n")
OVERRIDE = vevent("series@google.com", "20261217T150000", "20261217T153000", "Teamrunde (verschoben)",
                  "RECURRENCE-ID;TZID=Europe/Berlin:20261216T090000\n")
SINGLE = vevent("single@google.com", summary="Sehtest Müller",
                extra="BEGIN:VALARM\nACTION:DISPLAY\nDESCRIPTION:Erinnerung\nTRIGGER:-P300S\nEND:VALARM\n")
ALL_DAY = ("BEGIN:VEVENT\nDTSTART;VALUE=DATE:20261224\nDTEND;VALUE=DATE:20261225\nDTSTAMP:20261101T000000Z\n"
           "UID:allday@google.com\nSUMMARY:Heiligabend\nEND:VEVENT\n")


def export(*components: str, zones: str = VTIMEZONE_BERLIN) -> str:
    """A Google Calendar export: one VCALENDAR with METHOD:PUBLISH, calendar-wide X-WR properties, CRLF."""
    text = ("BEGIN:VCALENDAR\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\nVERSION:2.0\nCALSCALE:GREGORIAN\n"
            "METHOD:PUBLISH\nX-WR-CALNAME:Filiale Hamburg\nX-WR-TIMEZONE:Europe/Berlin\n"
            f"{zones}{''.join(components)}END:VCALENDAR\n")
    return text.replace("\n", "\r\n")


GOOGLE = export(OVERRIDE, SINGLE, SERIES, ALL_DAY)


def one_object(*components: str) -> str:
    """A single calendar object, as a CalDAV server or vdirsyncer stores it (one per file)."""
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\n" + VTIMEZONE_BERLIN.replace("\n", "\r\n")
            + "".join(c.replace("\n", "\r\n") for c in components) + "END:VCALENDAR\r\n")
