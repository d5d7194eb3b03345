"""The recurrence picker ↔ RRULE (issue 11): pure round trips; what it cannot express is left alone."""

import datetime as dt

import pytest

from scheduler import recurrence_picker as rp
from scheduler.recurrence_picker import Picker

BERLIN = "Europe/Berlin"


@pytest.mark.parametrize(("picker", "rrule"), [
    (Picker(), ""),
    (Picker(rp.DAILY), "FREQ=DAILY"),
    (Picker(rp.WEEKLY), "FREQ=WEEKLY"),
    (Picker(rp.WEEKLY, ("MO", "WE", "FR")), "FREQ=WEEKLY;BYDAY=MO,WE,FR"),
    (Picker(rp.MONTHLY), "FREQ=MONTHLY"),
    (Picker(rp.DAILY, end=rp.COUNT, count=10), "FREQ=DAILY;COUNT=10"),
    (Picker(rp.WEEKLY, ("TU",), rp.UNTIL, dt.date(2026, 12, 31)), "FREQ=WEEKLY;BYDAY=TU;UNTIL=20261231T225959Z"),
    (Picker(rp.MONTHLY, end=rp.UNTIL, until=dt.date(2027, 7, 1)), "FREQ=MONTHLY;UNTIL=20270701T215959Z"),  # CEST
    (Picker(rp.DAILY, end=rp.COUNT, count=500), "FREQ=DAILY;COUNT=500"),
])
def test_round_trip(picker, rrule):
    assert rp.write(picker, BERLIN) == rrule
    assert rp.parse(rrule, BERLIN) == picker
    assert rp.parse("RRULE:" + rrule, BERLIN) == picker if rrule else True


def test_write_ignores_what_the_choice_does_not_use():
    assert rp.write(Picker(rp.DAILY, ("MO",), rp.NEVER, dt.date(2026, 1, 1), 3), BERLIN) == "FREQ=DAILY"
    assert rp.write(Picker(rp.NONE, ("MO",), rp.COUNT, None, 3), BERLIN) == ""
    assert rp.write(Picker(rp.WEEKLY, ("FR", "MO", "MO")), BERLIN) == "FREQ=WEEKLY;BYDAY=MO,FR"


def test_write_refuses_incomplete_ends():
    with pytest.raises(ValueError):
        rp.write(Picker(rp.DAILY, end=rp.UNTIL), BERLIN)
    with pytest.raises(ValueError):
        rp.write(Picker(rp.DAILY, end=rp.COUNT, count=501), BERLIN)


def test_until_is_the_utc_end_of_the_local_day():
    assert rp.until_utc(dt.date(2026, 1, 15), BERLIN) == "20260115T225959Z"
    assert rp.until_utc(dt.date(2026, 6, 15), BERLIN) == "20260615T215959Z"
    assert rp.until_utc(dt.date(2026, 6, 15), "UTC") == "20260615T235959Z"


@pytest.mark.parametrize(("rrule", "picker"), [
    ("freq=weekly;byday=fr,mo", Picker(rp.WEEKLY, ("MO", "FR"))),
    ("FREQ=DAILY;INTERVAL=1", Picker(rp.DAILY)),
    ("FREQ=WEEKLY;WKST=MO;BYDAY=TH", Picker(rp.WEEKLY, ("TH",))),
    ("FREQ=DAILY;UNTIL=20261231", Picker(rp.DAILY, end=rp.UNTIL, until=dt.date(2026, 12, 31))),
    # a phone's UNTIL at the last start is shown as its local date (the form keeps it unless changed)
    ("FREQ=DAILY;UNTIL=20261231T090000Z", Picker(rp.DAILY, end=rp.UNTIL, until=dt.date(2026, 12, 31))),
    ("FREQ=DAILY;UNTIL=20261231T233000Z", Picker(rp.DAILY, end=rp.UNTIL, until=dt.date(2027, 1, 1))),
])
def test_parse_accepts_equivalent_spellings(rrule, picker):
    assert rp.parse(rrule, BERLIN) == picker


@pytest.mark.parametrize("rrule", [
    "FREQ=WEEKLY;INTERVAL=2",
    "FREQ=MONTHLY;BYMONTHDAY=1,15",
    "FREQ=MONTHLY;BYMONTHDAY=15",
    "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=-1",
    "FREQ=MONTHLY;BYDAY=2MO",
    "FREQ=DAILY;BYDAY=MO,TU",
    "FREQ=YEARLY",
    "FREQ=HOURLY",
    "FREQ=WEEKLY;WKST=SU;BYDAY=MO",
    "FREQ=DAILY;COUNT=501",
    "FREQ=DAILY;COUNT=0",
    "FREQ=DAILY;COUNT=3;UNTIL=20261231T225959Z",
    "FREQ=DAILY;UNTIL=tomorrow",
    "FREQ=DAILY;FREQ=WEEKLY",
    "FREQ=DAILY\nRRULE:FREQ=WEEKLY",
    "FREQ=DAILY;BYDAY=XX",
    "BYDAY=MO",
    "FREQ=SOMETIMES",
    "garbage",
])
def test_rules_the_picker_cannot_express(rrule):
    assert rp.parse(rrule, BERLIN) is None


def test_normalised_compares_choices():
    drawn = rp.parse("FREQ=WEEKLY;BYDAY=MO,FR", BERLIN)
    posted = Picker(rp.WEEKLY, ("FR", "MO"), rp.NEVER, dt.date(2026, 1, 1), 4).normalised()
    assert posted == drawn.normalised()
