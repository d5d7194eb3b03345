"""iCalendar handling for appointments: parsing, the modelled fields, the time-range index.

The stored object is what a client sent (or what the scheduler generated); the
scheduler only ever *replaces the properties it models* inside it and keeps all
others (alarms, attendees, X- properties, a client's VTIMEZONE). Recurrence is
expanded with ``recurring_ical_events``, never by hand.

Dates without a zone (all-day DATE values, floating DATE-TIMEs) are evaluated in
a default zone, the branch's, as RFC 4791 §7.3 asks of a server.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import functools
import hashlib
import re
import zoneinfo
from dataclasses import dataclass

import icalendar
import recurring_ical_events
from icalendar.parser import Contentline, Contentlines
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

PRODID = "-//Terminsync//Terminsync Terminplaner//DE"
UTC = dt.timezone.utc
# How many occurrences of a bounded series are walked to find its last end;
# beyond this the series is treated as unbounded (the index stays correct).
MAX_INDEXED_OCCURRENCES = 5_000
MODELLED_STATUS = ("CONFIRMED", "TENTATIVE", "CANCELLED")


class InvalidCalendar(ValueError):
    """The data is not a usable iCalendar object; the message says why (in English, for logs)."""


def parse(data: str | bytes) -> icalendar.Calendar:
    """The parsed object, read leniently where real clients are known to be sloppy (see ``QUIRKS``).

    Well-formed data is parsed once; only when icalendar refuses a value (or keeps it as
    broken) are the known malformations repaired *in the parser's copy* and parsed again.
    The stored object always keeps the client's bytes.
    """
    data = without_bom(data)
    try:
        cal = icalendar.Calendar.from_ical(data)
    except Exception as exc:  # icalendar raises ValueError, KeyError, ... on bad input
        cal = _parse_repaired(data, exc)
    else:
        if _has_broken_values(cal):
            cal = _parse_repaired(data, None) or cal
    if getattr(cal, "name", None) != "VCALENDAR":
        raise InvalidCalendar("the object is not a VCALENDAR")
    return cal


def _repair_duration(value: str) -> str | None:
    """``-P300S``, ``P1H``, ``-pt15m`` -> ``-PT300S``, ``PT1H``, ``-PT15M`` (RFC 5545 §3.3.6 wants the ``T``
    before hours, minutes and seconds; a command-line client packaged in Debian sends ``-P300S``).
    Without ``T`` an ``M`` means minutes: iCalendar durations have no months."""
    m = _SLOPPY_DURATION.fullmatch(value.strip().upper())
    if m is None or not any(m.group(i) for i in range(2, 7)):
        return None
    sign, weeks, days, hours, minutes, seconds = m.groups()
    date_part = (f"{weeks}W" if weeks else "") + (f"{days}D" if days else "")
    time_part = "".join(f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M"), (seconds, "S")) if n)
    return f"{sign}P{date_part}{'T' + time_part if time_part else ''}"


_SLOPPY_DURATION = re.compile(r"([+-]?)P(?:(\d+)W)?(?:(\d+)D)?T?(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?")
# Known malformations of real clients, tolerated for parsing, the index and the filters only (the stored
# object keeps them): property name -> repair of its value (None: nothing to repair). icalendar itself
# already reads lower-case names and values, LF line ends, blank lines and a missing VERSION; a UTF-8
# byte-order mark is dropped before parsing, and an all-day DTEND equal to DTSTART is that one day
# (``event_bounds``). The table of cases: tests/contract/test_quirks.py.
QUIRKS = {"TRIGGER": _repair_duration, "DURATION": _repair_duration, "REFRESH-INTERVAL": _repair_duration}


def without_bom(data: str | bytes) -> str | bytes:
    """A UTF-8 byte-order mark (Outlook's exports start with one) is not part of the first line."""
    if isinstance(data, bytes):
        return data.removeprefix(b"\xef\xbb\xbf")
    return data.removeprefix("\ufeff")


def _has_broken_values(cal: icalendar.Calendar) -> bool:
    """icalendar keeps a value it cannot read as broken in tolerant components (VEVENT)."""
    return any(getattr(comp, "errors", None) for comp in cal.walk())


def _repaired(data: str | bytes) -> str | None:
    """The content lines with the known malformations repaired, or None when none was found."""
    lines = Contentlines.from_ical(data)
    changed = False
    for i, line in enumerate(lines):
        name = line.split(":", 1)[0].split(";", 1)[0].strip().upper()
        repair = QUIRKS.get(name)
        if repair is None:
            continue
        try:
            _name, params, value = line.parts()
        except ValueError:
            continue
        fixed = repair(value)
        if fixed is not None and fixed != value:
            lines[i] = Contentline.from_parts(name, params, fixed)
            changed = True
    return lines.to_ical().decode("utf-8") if changed else None


def _parse_repaired(data: str | bytes, error: Exception | None) -> icalendar.Calendar | None:
    """Parse again with the quirks repaired; without a repair, the first error stands."""
    try:
        text = _repaired(data)
    except (ValueError, UnicodeDecodeError):
        text = None
    if text is None:
        if error is not None:
            raise InvalidCalendar(f"not parseable as iCalendar: {error}") from error
        return None
    try:
        return icalendar.Calendar.from_ical(text)
    except Exception as exc:
        raise InvalidCalendar(f"not parseable as iCalendar: {error or exc}") from exc


def serialize(cal: icalendar.Calendar) -> str:
    return cal.to_ical().decode("utf-8")


def etag_for(text: str) -> str:
    """A strong ETag (without quotes): it changes whenever the stored bytes change."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:40]


def events(cal: icalendar.Calendar) -> list[icalendar.Event]:
    return [c for c in cal.subcomponents if c.name == "VEVENT"]


def master_event(cal: icalendar.Calendar) -> icalendar.Event | None:
    for ev in events(cal):
        if "RECURRENCE-ID" not in ev:
            return ev
    return None


def zone(name: str | None) -> zoneinfo.ZoneInfo | None:
    """An IANA zone for a TZID, also for Windows names ("W. Europe Standard Time")."""
    if not name:
        return None
    name = name.strip()
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        pass
    olson = WINDOWS_TO_OLSON.get(name)
    return zoneinfo.ZoneInfo(olson) if olson else None


def zone_name(value: dt.date, default: str) -> str:
    tz = getattr(value, "tzinfo", None)
    key = getattr(tz, "key", None) or getattr(tz, "zone", None)
    if key and zone(key):
        return zone(key).key
    if tz is not None and tz.utcoffset(None) == dt.timedelta(0) and str(tz) in ("UTC", "utc"):
        return "UTC"
    return default


def to_utc(value: dt.date, default_tz: dt.tzinfo) -> dt.datetime:
    """Make an aware UTC datetime of DATE, floating or zoned DATE-TIME values (RFC 4791 §7.3)."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time(0), tzinfo=default_tz)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=default_tz)
    return value.astimezone(UTC)


def event_bounds(ev: icalendar.Event) -> tuple[dt.date, dt.date]:
    """DTSTART and the (exclusive) end of one component: DTEND, DURATION or the RFC 5545 default."""
    start = ev.decoded("DTSTART")
    if "DTEND" in ev:
        end = ev.decoded("DTEND")
        if end == start and not isinstance(start, dt.datetime):
            end = start + dt.timedelta(days=1)  # quirk: an all-day DTEND equal to DTSTART is that one day
    elif "DURATION" in ev:
        end = start + ev.decoded("DURATION")
    elif isinstance(start, dt.datetime):
        end = start
    else:
        end = start + dt.timedelta(days=1)
    return start, end


@dataclass
class Fields:
    """The properties of the master event that the scheduler models as columns."""

    uid: str
    title: str
    notes: str
    place: str
    status: str
    all_day: bool
    start: dt.datetime
    end: dt.datetime
    timezone: str
    rrule: str


def extract(cal: icalendar.Calendar, default_tz: str) -> Fields:
    """Read the modelled fields from a client's object (the master, else the first override)."""
    evs = events(cal)
    if not evs:
        raise InvalidCalendar("the object contains no VEVENT")
    ev = master_event(cal) or evs[0]
    if "DTSTART" not in ev:
        raise InvalidCalendar("VEVENT without DTSTART")
    try:
        start, end = event_bounds(ev)
    except Exception as exc:
        raise InvalidCalendar(f"invalid date values: {exc}") from exc
    all_day = not isinstance(start, dt.datetime)
    if isinstance(end, dt.datetime) != isinstance(start, dt.datetime):
        raise InvalidCalendar("DTSTART and DTEND must both be dates or both date-times")
    tzname = zone_name(start, default_tz)
    tz = zoneinfo.ZoneInfo(tzname)
    status = str(ev.get("STATUS", "CONFIRMED")).upper()
    rrule = ev.get("RRULE")
    return Fields(
        uid=str(ev.get("UID", "")),
        title=str(ev.get("SUMMARY", "")),
        notes=str(ev.get("DESCRIPTION", "")),
        place=str(ev.get("LOCATION", "")),
        status=status if status in MODELLED_STATUS else "CONFIRMED",
        all_day=all_day,
        start=to_utc(start, tz),
        end=to_utc(end, tz),
        timezone=tzname,
        rrule=rrule.to_ical().decode() if rrule else "",
    )


def _local(value: dt.datetime, tzname: str, all_day: bool) -> dt.date:
    local = value.astimezone(zoneinfo.ZoneInfo(tzname))
    return local.date() if all_day else local


def _same_instant(old: dt.date, new: dt.date, tzname: str) -> bool:
    if isinstance(old, dt.datetime) != isinstance(new, dt.datetime):
        return False
    if not isinstance(old, dt.datetime):
        return old == new
    tz = zoneinfo.ZoneInfo(tzname)
    return to_utc(old, tz) == to_utc(new, tz)


def apply_fields(base: str | None, fields: Fields, *, now: dt.datetime | None = None) -> str:
    """Write the modelled fields into the stored object, keeping everything else.

    A property is only rewritten when its meaning changes, so a client's own
    TZID and VTIMEZONE survive an edit of, say, the title.
    """
    now = now or dt.datetime.now(UTC)
    if base:
        cal = parse(base)
    else:
        cal = icalendar.Calendar()
        cal.add("PRODID", PRODID)
        cal.add("VERSION", "2.0")
    ev = master_event(cal)
    if ev is None:
        ev = icalendar.Event()
        cal.add_component(ev)
    if str(ev.get("UID", "")) != fields.uid:
        ev.pop("UID", None)
        ev.add("UID", fields.uid)
    for prop, value in (("SUMMARY", fields.title), ("DESCRIPTION", fields.notes),
                        ("LOCATION", fields.place), ("STATUS", fields.status)):
        if str(ev.get(prop, "")) == value:
            continue
        ev.pop(prop, None)
        if value:
            ev.add(prop, value)
    new_start = _local(fields.start, fields.timezone, fields.all_day)
    new_end = _local(fields.end, fields.timezone, fields.all_day)
    old_start, old_end = event_bounds(ev) if "DTSTART" in ev else (None, None)
    if old_start is None or not _same_instant(old_start, new_start, fields.timezone):
        ev.pop("DTSTART", None)
        ev.add("DTSTART", new_start)
    if old_end is None or not _same_instant(old_end, new_end, fields.timezone) or \
            old_start is None or not _same_instant(old_start, new_start, fields.timezone):
        ev.pop("DTEND", None)
        ev.pop("DURATION", None)
        ev.add("DTEND", new_end)
    old_rrule = ev.get("RRULE")
    old_rrule_text = old_rrule.to_ical().decode() if old_rrule else ""
    if old_rrule_text != fields.rrule:
        ev.pop("RRULE", None)
        if fields.rrule:
            ev.add("RRULE", icalendar.vRecur.from_ical(fields.rrule))
    if "DTSTAMP" not in ev:
        ev.add("DTSTAMP", now)
    ev.pop("LAST-MODIFIED", None)
    ev.add("LAST-MODIFIED", now)
    seq = int(ev.get("SEQUENCE", 0))
    ev.pop("SEQUENCE", None)
    ev.add("SEQUENCE", seq + 1)
    ensure_timezones(cal)
    return serialize(cal)


def ensure_timezones(cal: icalendar.Calendar) -> None:
    """Add a VTIMEZONE for every TZID the events use but the object does not define."""
    defined = {str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")}
    used = []
    for ev in events(cal):
        for prop in ("DTSTART", "DTEND", "RECURRENCE-ID"):
            tzid = ev[prop].params.get("TZID") if prop in ev else None
            if tzid and tzid not in defined and tzid not in used and zone(tzid):
                used.append(tzid)
    for tzid in used:
        comp = icalendar.Timezone.from_ical(vtimezone(zone(tzid).key))
        comp["TZID"] = tzid
        cal.subcomponents.insert(0, comp)


def _rules(cal: icalendar.Calendar) -> list[icalendar.vRecur]:
    out = []
    for ev in events(cal):
        value = ev.get("RRULE")
        out.extend(value if isinstance(value, list) else ([value] if value is not None else []))
    return out


def _unbounded(cal: icalendar.Calendar) -> bool:
    return any(not rule.get("UNTIL") and not rule.get("COUNT") for rule in _rules(cal))


def frequencies(cal: icalendar.Calendar) -> set[str]:
    """The FREQ values of every RRULE in the object (upper case)."""
    return {str(f).upper() for rule in _rules(cal) for f in rule.get("FREQ", [])}


# Endless series are materialised this far ahead; queries beyond fall back to expansion.
HORIZON = dt.timedelta(days=3 * 366)
# Instances one read may generate in Python (calendar-query past the horizon, expand, free-busy,
# REST range): a request that needs more is refused instead of stalling a worker.
REQUEST_EXPANSION_BUDGET = 20_000


class ExpansionLimit(Exception):
    """A read would generate more instances than its budget allows."""


class Budget:
    """Counts the instances generated in Python for one request (R1: bounded work).

    ``with Budget(n):`` makes every ``occurrences()`` call inside charge it; tests
    read ``used`` to prove a path generates a bounded number of instances.
    """

    def __init__(self, limit: int = REQUEST_EXPANSION_BUDGET):
        self.limit, self.used = limit, 0
        self._token = None

    def charge(self, n: int = 1) -> None:
        self.used += n
        if self.used > self.limit:
            raise ExpansionLimit(f"more than {self.limit} instances")

    def __enter__(self) -> Budget:
        self._token = _budget.set(self)
        return self

    def __exit__(self, *exc) -> None:
        _budget.reset(self._token)


_budget: contextvars.ContextVar[Budget | None] = contextvars.ContextVar("expansion_budget", default=None)


def _charge(n: int = 1) -> None:
    budget = _budget.get()
    if budget is not None:
        budget.charge(n)


@dataclass
class TimeIndex:
    """What the database indexes of one object (all UTC).

    ``spans`` are the (start, end) of every instance, for the occurrence table;
    ``complete_until`` is None when they are all of them, else the instant up to
    which they are (an endless or very long series).
    """

    first: dt.datetime
    last: dt.datetime | None
    spans: list[tuple[dt.datetime, dt.datetime]]
    complete_until: dt.datetime | None


def _span(occ, tz) -> tuple[dt.datetime, dt.datetime]:
    s, e = event_bounds(occ)
    return to_utc(s, tz), to_utc(e, tz)


def _first_start(evs: list[icalendar.Event], tz: dt.tzinfo) -> dt.datetime:
    first = min(to_utc(event_bounds(ev)[0], tz) for ev in evs)
    for ev in evs:
        rdates = ev.get("RDATE")
        for rd in rdates if isinstance(rdates, list) else ([rdates] if rdates else []):
            for period in rd.dts:
                value = period.dt[0] if isinstance(period.dt, tuple) else period.dt
                first = min(first, to_utc(value, tz))
    return first


# Window of one expansion step by the series' fastest frequency: a window holds a few hundred
# instances at most, so a step is cheap and the walk can stop at the cap between steps.
WINDOWS = {"HOURLY": dt.timedelta(days=14), "DAILY": dt.timedelta(days=366), "WEEKLY": dt.timedelta(days=5 * 366)}
LONG_WINDOW = dt.timedelta(days=50 * 366)
FAST = ("SECONDLY", "MINUTELY")


def _window(cal: icalendar.Calendar) -> dt.timedelta:
    freqs = frequencies(cal)
    if freqs & set(FAST):
        return dt.timedelta(hours=6)
    return min((WINDOWS.get(f, LONG_WINDOW) for f in freqs), default=LONG_WINDOW)


def _walk(cal: icalendar.Calendar, start: dt.datetime, stop: dt.datetime, tz: dt.tzinfo):
    """Instances starting in [start, stop), in order, one bounded window at a time (no full list)."""
    query = recurring_ical_events.of(cal)
    step, t, seen = _window(cal), start, set()
    while t < stop:
        upper = min(t + step, stop)
        batch = []
        for occ in query.between(t.astimezone(tz), upper.astimezone(tz)):
            span = _span(occ, tz)
            key = (span, str(occ.get("RECURRENCE-ID", "")))
            if t <= span[0] < upper and key not in seen:
                batch.append((span, occ))
                seen.add(key)
        batch.sort(key=lambda item: item[0])
        yield from batch
        seen = {k for k in seen if k[0][0] >= upper}
        t = upper


def _rule_end(cal: icalendar.Calendar, first: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """Where instances certainly stop: the latest UNTIL or moved instance, else far future (COUNT
    stops the walk at the cap by itself)."""
    ends = [to_utc(event_bounds(ev)[1], tz) for ev in events(cal) if "DTSTART" in ev]
    for rule in _rules(cal):
        if rule.get("COUNT") or not rule.get("UNTIL"):
            return FAR_FUTURE
        ends.append(min(to_utc(rule["UNTIL"][0], tz), FAR_FUTURE - dt.timedelta(days=2)))
    return max(ends, default=first) + dt.timedelta(days=1)


def _short(cal: icalendar.Calendar) -> bool:
    """Every rule ends by COUNT within the index cap: the whole series is a short list."""
    rules = _rules(cal)
    return bool(rules) and all(rule.get("COUNT") and int(rule["COUNT"][0]) <= MAX_INDEXED_OCCURRENCES
                               for rule in rules)


def _is_plain(cal: icalendar.Calendar) -> bool:
    """No RRULE: the instances are the components and their RDATEs, a list as long as the object."""
    return not _rules(cal)


def index(cal: icalendar.Calendar, default_tz: str, now: dt.datetime | None = None) -> TimeIndex:
    """First start, last end (None for an endless series) and the instances, in one bounded walk.

    The walk stops at ``MAX_INDEXED_OCCURRENCES`` *while generating* (a COUNT of
    ten million never builds a list of ten million), and for an endless series
    at the horizon; the index then says up to where its rows are complete.
    """
    tz = zoneinfo.ZoneInfo(default_tz)
    evs = [ev for ev in events(cal) if "DTSTART" in ev]
    if not evs:
        raise InvalidCalendar("the object contains no VEVENT with DTSTART")
    first = _first_start(evs, tz)
    unbounded = _unbounded(cal)
    horizon = max((now or dt.datetime.now(UTC)) + HORIZON, first) if unbounded else None
    if _is_plain(cal):
        pairs = [(_span(o, tz), o) for o in recurring_ical_events.of(cal).between(FAR_PAST, FAR_FUTURE)]
    else:
        pairs = _walk(cal, min(first, FAR_FUTURE), horizon or _rule_end(cal, first, tz), tz)
    spans: list[tuple[dt.datetime, dt.datetime]] = []
    for span, _occ in pairs:
        if len(spans) >= MAX_INDEXED_OCCURRENCES:
            return TimeIndex(first, None, spans, span[0])
        spans.append(span)
    if horizon is not None:
        return TimeIndex(first, None, spans, horizon)
    last = max(to_utc(event_bounds(ev)[1], tz) for ev in evs)
    if spans:
        first = min(first, min(s for s, _ in spans))
        last = max(last, max(e for _, e in spans))
    return TimeIndex(first, last, spans, None)


FAR_PAST = dt.datetime(1900, 1, 1, tzinfo=UTC)
FAR_FUTURE = dt.datetime(2200, 1, 1, tzinfo=UTC)


def _longest(evs: list[icalendar.Event]) -> dt.timedelta:
    """The longest component: how far before a range an instance may start and still overlap it."""
    longest = dt.timedelta(days=1)
    for ev in evs:
        s, e = event_bounds(ev)
        longest = max(longest, e - s if isinstance(s, dt.datetime) == isinstance(e, dt.datetime) else longest)
    return longest


def iter_occurrences(cal: icalendar.Calendar, start: dt.datetime | None, end: dt.datetime | None,
                     default_tz: str | dt.tzinfo):
    """The instances overlapping [start, end), lazily, in order, each charged to the request's ``Budget``.

    A series is walked in bounded windows from where an instance could first
    overlap the range, so a caller that needs only the first match (a time-range
    filter) stops early, and no caller ever builds more than its budget.
    Floating and all-day values are evaluated in ``default_tz`` (RFC 4791 §7.3).
    """
    tz = zoneinfo.ZoneInfo(default_tz) if isinstance(default_tz, str) else default_tz
    start = max(start or FAR_PAST, FAR_PAST)
    end = min(end or FAR_FUTURE, FAR_FUTURE)
    if start >= end:
        return
    if _is_plain(cal) or _short(cal):  # one call: at most MAX_INDEXED_OCCURRENCES instances exist at all
        for occ in recurring_ical_events.of(cal).between(start.astimezone(tz), end.astimezone(tz)):
            _charge()
            yield occ
        return
    evs = [ev for ev in events(cal) if "DTSTART" in ev]
    walk_from = max(start - _longest(evs), _first_start(evs, tz)) if evs else start
    for (s, e), occ in _walk(cal, walk_from, min(end, _rule_end(cal, walk_from, tz)), tz):
        _charge()
        if e > start or (s == e and s >= start):
            yield occ


def occurrences(cal: icalendar.Calendar, start: dt.datetime | None, end: dt.datetime | None,
                default_tz: str | dt.tzinfo) -> list[icalendar.Event]:
    """All instances overlapping [start, end) as VEVENT components (see ``iter_occurrences``)."""
    return list(iter_occurrences(cal, start, end, default_tz))


def occurs(cal: icalendar.Calendar, start: dt.datetime | None, end: dt.datetime | None,
           default_tz: str | dt.tzinfo) -> bool:
    """Whether any instance overlaps [start, end): stops at the first one."""
    return next(iter_occurrences(cal, start, end, default_tz), None) is not None


def _transitions(tz: zoneinfo.ZoneInfo, year: int) -> list[tuple[dt.datetime, dt.timedelta, dt.timedelta, str]]:
    """UTC-offset changes in a year: (local wall time before the change, offset from, offset to, name)."""
    out = []
    t = dt.datetime(year, 1, 1, tzinfo=UTC)
    end = dt.datetime(year + 1, 1, 1, tzinfo=UTC)
    step = dt.timedelta(hours=1)
    prev = t.astimezone(tz).utcoffset()
    while t < end:
        nxt = t + step
        off = nxt.astimezone(tz).utcoffset()
        if off != prev:
            out.append(((nxt).astimezone(dt.timezone(prev)).replace(tzinfo=None), prev, off,
                        nxt.astimezone(tz).tzname()))
            prev = off
        t = nxt
    return out


def _byday(day: dt.datetime) -> str:
    names = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
    last = (day + dt.timedelta(days=7)).month != day.month
    ordinal = -1 if last else (day.day - 1) // 7 + 1
    return f"{ordinal}{names[day.weekday()]}"


def _fmt_offset(off: dt.timedelta) -> str:
    minutes = int(off.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


@functools.lru_cache(maxsize=64)
def vtimezone(tzname: str) -> str:
    """A VTIMEZONE for an IANA zone, with yearly RRULEs where the zone follows a yearly rule.

    Clients keep time zones for decades; an RDATE list that ends in 2037 (what
    a generic conversion produces) would make them guess afterwards.
    """
    tz = zoneinfo.ZoneInfo(tzname)
    year = dt.date.today().year
    current = _transitions(tz, year)
    rules = [(t.month, _byday(t), t.time(), f, to, name) for t, f, to, name in current]
    stable = bool(current) and all(
        [(t.month, _byday(t), t.time(), f, to, name) for t, f, to, name in _transitions(tz, y)] == rules
        for y in range(year + 1, year + 6))
    comp = icalendar.Timezone()
    comp.add("TZID", tzname)
    if not current:
        std = icalendar.TimezoneStandard()
        off = dt.datetime(year, 1, 1, tzinfo=UTC).astimezone(tz).utcoffset()
        std.add("DTSTART", dt.datetime(1970, 1, 1))
        std.add("TZOFFSETFROM", off)
        std.add("TZOFFSETTO", off)
        std.add("TZNAME", dt.datetime(year, 1, 1, tzinfo=UTC).astimezone(tz).tzname())
        comp.add_component(std)
    elif stable:
        for (t, f, to, name), (month, byday, *_rest) in zip(current, rules, strict=True):
            sub = icalendar.TimezoneDaylight() if to > f else icalendar.TimezoneStandard()
            sub.add("DTSTART", _first_matching(1970, month, byday, t.time()))
            sub.add("RRULE", {"FREQ": "YEARLY", "BYMONTH": month, "BYDAY": byday})
            sub.add("TZOFFSETFROM", f)
            sub.add("TZOFFSETTO", to)
            sub.add("TZNAME", name)
            comp.add_component(sub)
    else:
        return icalendar.Timezone.from_tzid(tzname).to_ical().decode()
    return comp.to_ical().decode()


def _first_matching(year: int, month: int, byday: str, at: dt.time) -> dt.datetime:
    """The first day in ``year``/``month`` matching an RRULE BYDAY like ``-1SU`` or ``2SU``."""
    names = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
    ordinal, weekday = int(byday[:-2]), names.index(byday[-2:])
    days = [dt.date(year, month, d) for d in range(1, 32) if _valid(year, month, d)]
    matching = [d for d in days if d.weekday() == weekday]
    return dt.datetime.combine(matching[ordinal if ordinal < 0 else ordinal - 1], at)


def _valid(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


MAX_ALARM_REPEAT = 100  # REPEAT beyond this is a client's mistake, not a reminder schedule


def alarm_times(alarm: icalendar.cal.Component, event: icalendar.Event,
                default_tz: dt.tzinfo) -> list[dt.datetime]:
    """When a VALARM of one event instance fires, in UTC (RFC 5545 §3.8.6.3, §3.6.6; RFC 4791 §9.9).

    A relative TRIGGER counts from the instance's start, or from its end with ``RELATED=END``;
    ``VALUE=DATE-TIME`` is absolute. ``REPEAT`` more times follow, ``DURATION`` apart.
    """
    if "TRIGGER" not in alarm:
        return []
    trigger = alarm.decoded("TRIGGER")
    if isinstance(trigger, dt.timedelta):
        if "DTSTART" not in event:
            return []
        start, end = event_bounds(event)
        related = str(alarm["TRIGGER"].params.get("RELATED", "START")).upper()
        first = to_utc(end if related == "END" else start, default_tz) + trigger
    else:
        first = to_utc(trigger, default_tz)
    step = alarm.decoded("DURATION") if "DURATION" in alarm else None
    try:
        repeat = min(int(alarm.get("REPEAT", 0)), MAX_ALARM_REPEAT)
    except (TypeError, ValueError):
        repeat = 0
    if not isinstance(step, dt.timedelta) or step <= dt.timedelta(0):
        repeat = 0
    return [first + k * step for k in range(repeat + 1)] if repeat else [first]


@dataclass
class AlarmReach:
    """How far the alarms of an object fire from their instance's start: relative alarms fire in
    [start + earliest, start + latest]; ``absolute`` says some alarm has a fixed DATE-TIME."""

    earliest: dt.timedelta
    latest: dt.timedelta
    absolute: bool


def alarm_reach(cal: icalendar.Calendar, default_tz: dt.tzinfo) -> AlarmReach | None:
    """The span of all alarm times relative to their instance's start (None: no VALARM at all).

    An instance whose alarm may fire in [a, b) starts in [a - latest, b - earliest]: a time-range
    on VALARM expands only the instances there, however far ahead the series runs.
    """
    offsets: list[dt.timedelta] = []
    absolute = False
    for ev in events(cal):
        if "DTSTART" not in ev:
            continue
        anchor = to_utc(event_bounds(ev)[0], default_tz)
        for alarm in ev.walk("VALARM"):
            times = alarm_times(alarm, ev, default_tz)
            if times and not isinstance(alarm.decoded("TRIGGER"), dt.timedelta):
                absolute = True
            else:
                offsets.extend(t - anchor for t in times)
    if not offsets and not absolute:
        return None
    return AlarmReach(min(offsets, default=dt.timedelta(0)), max(offsets, default=dt.timedelta(0)), absolute)


def has_alarm(text: str) -> bool:
    """Does this iCalendar text carry a VALARM (any case: clients send ``begin:valarm`` too)?"""
    return "BEGIN:VALARM" in text.upper()
