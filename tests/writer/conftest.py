"""Builders for the writer's tests: a branch with two calendars and objects as a phone or an export sends them."""

from __future__ import annotations

import pytest

from tests import factories as f


@pytest.fixture
def calendars(db):
    """Two calendars of Hamburg, alike: what one is written one object at a time, the other gets as a batch."""
    branch = f.branch("hh", name="Hamburg")
    return f.resource(branch, name="Anna Becker"), f.resource(branch, name="Ben Schulz")


def vcalendar(*events: str) -> str:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\n"
            + "".join(e.replace("\n", "\r\n") for e in events) + "END:VCALENDAR\r\n")


def vevent(uid: str, start: str = "20261201T100000Z", end: str = "20261201T110000Z", summary: str = "Sehtest",
           extra: str = "") -> str:
    return (f"BEGIN:VEVENT\nUID:{uid}\nDTSTAMP:20261101T000000Z\nDTSTART:{start}\nDTEND:{end}\n"
            f"SUMMARY:{summary}\n{extra}END:VEVENT\n")


def obj(uid: str, start: str = "20261201T100000Z", end: str = "20261201T110000Z", summary: str = "Sehtest",
        extra: str = "") -> str:
    return vcalendar(vevent(uid, start, end, summary, extra))
