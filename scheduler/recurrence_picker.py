"""The admin's recurrence picker ↔ an RRULE (issue 11), pure: no database, no forms.

The picker offers what an office needs: no repetition, daily, weekly (on chosen
weekdays, none = the weekday of the start), monthly (the day of the month of the
start); ending never, on a local date (stored as ``UNTIL`` at the UTC end of that
local day) or after N appointments (``COUNT``). ``parse`` returns ``None`` for a rule
the picker cannot express (``INTERVAL=2``, ``BYMONTHDAY`` lists, ``BYSETPOS``,
several rules, ...); such a rule is shown read-only and kept as it is.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass

NONE, DAILY, WEEKLY, MONTHLY = "", "DAILY", "WEEKLY", "MONTHLY"
FREQUENCIES = (NONE, DAILY, WEEKLY, MONTHLY)
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
NEVER, UNTIL, COUNT = "never", "until", "count"
ENDS = (NEVER, UNTIL, COUNT)
MAX_COUNT = 500

_UNTIL_DATE = re.compile(r"^(\d{8})$")
_UNTIL_UTC = re.compile(r"^(\d{8}T\d{6})Z$")
_UNTIL_FLOATING = re.compile(r"^(\d{8}T\d{6})$")


@dataclass(frozen=True)
class Picker:
    """What the picker shows: ``freq`` ("" = no repetition), weekdays in Monday-first order, the end."""

    freq: str = NONE
    weekdays: tuple[str, ...] = ()
    end: str = NEVER
    until: dt.date | None = None
    count: int | None = None

    def normalised(self) -> Picker:
        """The same choice without the values the choice ignores (for comparing two pickers)."""
        if self.freq == NONE:
            return Picker()
        weekdays = tuple(d for d in WEEKDAYS if d in set(self.weekdays)) if self.freq == WEEKLY else ()
        return Picker(self.freq, weekdays, self.end, self.until if self.end == UNTIL else None,
                      self.count if self.end == COUNT else None)


def _until_date(value: str, tz: zoneinfo.ZoneInfo) -> dt.date | None:
    if m := _UNTIL_DATE.match(value):
        return dt.datetime.strptime(m.group(1), "%Y%m%d").date()
    if m := _UNTIL_UTC.match(value):
        when = dt.datetime.strptime(m.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=dt.timezone.utc)
        return when.astimezone(tz).date()
    if m := _UNTIL_FLOATING.match(value):
        return dt.datetime.strptime(m.group(1), "%Y%m%dT%H%M%S").date()
    return None


def _parts(text: str) -> dict[str, str] | None:
    parts: dict[str, str] = {}
    for part in text.upper().split(";"):
        key, sep, value = part.partition("=")
        if not sep or not value or key in parts:
            return None
        parts[key] = value
    if parts.get("INTERVAL") == "1":
        parts.pop("INTERVAL")
    if parts.get("WKST") == "MO":
        parts.pop("WKST")
    return parts


def _weekdays(parts: dict[str, str], freq: str) -> tuple[str, ...] | None:
    if "BYDAY" not in parts:
        return ()
    days = parts.pop("BYDAY").split(",")
    if freq != WEEKLY or any(d not in WEEKDAYS for d in days) or len(set(days)) != len(days):
        return None
    return tuple(d for d in WEEKDAYS if d in days)


def _end(parts: dict[str, str], tz: zoneinfo.ZoneInfo) -> tuple[str, dt.date | None, int | None] | None:
    if "UNTIL" in parts and "COUNT" in parts:
        return None
    if "UNTIL" in parts:
        until = _until_date(parts.pop("UNTIL"), tz)
        return None if until is None else (UNTIL, until, None)
    if "COUNT" in parts:
        value = parts.pop("COUNT")
        if not value.isdigit() or not 1 <= int(value) <= MAX_COUNT:
            return None
        return COUNT, None, int(value)
    return NEVER, None, None


def parse(rrule: str, tzname: str) -> Picker | None:
    """The picker showing ``rrule``, or ``None`` if the picker cannot express it.

    An ``UNTIL`` is shown as its local date; the form keeps the stored rule while the
    picker is left as it was drawn, so an ``UNTIL`` at another time of day is not rewritten.
    """
    text = (rrule or "").strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if not text:
        return Picker()
    if any(c in text for c in "\r\n:"):
        return None  # several rules, or more than a rule
    try:
        tz = zoneinfo.ZoneInfo(tzname)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None
    parts = _parts(text)
    if parts is None:
        return None
    freq = parts.pop("FREQ", None)
    if freq not in (DAILY, WEEKLY, MONTHLY):
        return None
    weekdays = _weekdays(parts, freq)
    end = _end(parts, tz)
    if weekdays is None or end is None or parts:  # parts left: INTERVAL=2, BYMONTHDAY, BYSETPOS, ...
        return None
    return Picker(freq, weekdays, *end)


def until_utc(day: dt.date, tzname: str) -> str:
    """``UNTIL`` for "up to and including ``day``": the end of that local day, in UTC."""
    local = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=zoneinfo.ZoneInfo(tzname))
    return local.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def write(picker: Picker, tzname: str) -> str:
    """The RRULE (without "RRULE:") for ``picker``; "" for no repetition."""
    p = picker.normalised()
    if p.freq == NONE:
        return ""
    if p.freq not in FREQUENCIES:
        raise ValueError(f"unknown frequency {p.freq!r}")
    parts = [f"FREQ={p.freq}"]
    if p.weekdays:
        parts.append("BYDAY=" + ",".join(p.weekdays))
    if p.end == UNTIL:
        if p.until is None:
            raise ValueError("UNTIL needs a date")
        parts.append(f"UNTIL={until_utc(p.until, tzname)}")
    elif p.end == COUNT:
        if p.count is None or not 1 <= p.count <= MAX_COUNT:
            raise ValueError("COUNT must be 1..500")
        parts.append(f"COUNT={p.count}")
    return ";".join(parts)
