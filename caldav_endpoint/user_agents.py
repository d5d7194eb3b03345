"""A readable client name from a CalDAV client's User-Agent (for the sync health column).

Pure functions, no Django: a table of patterns, most specific first. The names
are product names and so not translated; the version is kept where the UA has
one, because "which DAVx5" is the first question when a phone stops syncing.
"""

from __future__ import annotations

import re

_VERSION = r"(\d+(?:[._]\d+)*)"

# (pattern, format): the format gets the pattern's groups; the first match wins.
CLIENTS: list[tuple[re.Pattern[str], str]] = [
    # iOS/iPadOS Calendar and Reminders: "iOS/18.1 (22B83) dataaccessd/1.0", "… accountsd/1.0", "… remindd/1.0"
    (re.compile(r"\b(?:iOS|iPadOS|iPhone OS)/" + _VERSION), "iPhone/iPad, iOS {0}"),
    # macOS Calendar: "macOS/14.5 (23F79) CalendarAgent/988", "Mac OS X/10.15.7 (19H2) CalendarAgent/954",
    # "Mac+OS+X/10.10.5 …", "Mac_OS_X/10.9 …", "macOS/15.7.7 accountsd/1.0", and old iCal/CalendarStore
    (re.compile(r"\b(?:macOS|Mac[ +_]OS[ +_]X|OS X)/" + _VERSION), "Mac, macOS {0}"),
    # DAVx5 (formerly DAVdroid): "DAVx5/4.4.1-ose (2024/06/12; dav4jvm; okhttp/4.12.0) Android/14"
    (re.compile(r"\bDAVx(?:5|⁵)/" + _VERSION + r"[^ ]*.*?\bAndroid/" + _VERSION), "DAVx5 {0}, Android {1}"),
    (re.compile(r"\bDAVx(?:5|⁵)/" + _VERSION), "DAVx5 {0}"),
    (re.compile(r"\bDAVdroid/" + _VERSION), "DAVdroid {0}"),
    # Thunderbird: "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Thunderbird/128.3.0"
    (re.compile(r"\bThunderbird/" + _VERSION), "Thunderbird {0}"),
    (re.compile(r"\bThunderbird\b"), "Thunderbird"),
    # Evolution and GNOME Calendar (evolution-data-server): "Evolution/3.52.4"
    (re.compile(r"\bEvolution/" + _VERSION), "Evolution {0}"),
    # Outlook CalDav Synchronizer: "CalDavSynchronizer/4.4"
    (re.compile(r"\bCalDavSynchronizer/" + _VERSION, re.I), "Outlook CalDav Synchronizer {0}"),
    (re.compile(r"\bCalDavSynchronizer\b", re.I), "Outlook CalDav Synchronizer"),
    # python caldav: "python-caldav/3.6.0", the async client "caldav-async/3.6.0"
    (re.compile(r"\b(?:python-caldav|python/caldav|caldav-async)/" + _VERSION), "python caldav {0}"),
    # vdirsyncer: "vdirsyncer/0.21.0"
    (re.compile(r"\bvdirsyncer/" + _VERSION), "vdirsyncer {0}"),
]
MAX_FALLBACK = 40


def client_name(user_agent: str) -> str:
    """"DAVx5 4.4.1 (Android 14)" for DAVx5's UA; the first product token for clients not in the
    table; "" for no User-Agent at all (the caller says "unknown" in the user's language)."""
    ua = (user_agent or "").strip()
    for pattern, fmt in CLIENTS:
        match = pattern.search(ua)
        if match:
            return fmt.format(*(g.replace("_", ".") for g in match.groups()))
    if not ua:
        return ""
    first = ua.split()[0]
    return first if len(first) <= MAX_FALLBACK else first[:MAX_FALLBACK - 1] + "…"


def device_name(user_agent: str) -> str:
    """What the history records of a phone's write: "DAVx5 4.4.1, Android 14" rather than the raw header."""
    return client_name(user_agent) or user_agent
