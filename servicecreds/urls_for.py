"""The URLs a phone uses: built here and only here (U1, D1).

The CalDAV endpoint serves exactly these paths, the admin's "Ressource
spezifische URL", the e-mail, the QR code and "Mein Konto" show them.
"""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings


def principal_path(credential) -> str:
    return f"/principals/{quote(credential.username, safe='')}/"


def home_path(credential) -> str:
    return f"/caldav/{quote(credential.username, safe='')}/"


def calendar_path(credential, resource) -> str:
    return f"{home_path(credential)}{resource.slug}/"


# RFC 3986 §3.3 pchar: sub-delims, ":" and "@" stay as they are, so an href a client made
# (iOS and DAVx5 name objects "<uid>.ics", and UIDs often carry "@") comes back unchanged.
SEGMENT_SAFE = "!$&'()*+,;=:@"


def quote_segment(name: str) -> str:
    """One path segment, percent-encoded once: "/", "%", "?", "#", spaces and non-ASCII are escaped."""
    return quote(name, safe=SEGMENT_SAFE)


def object_path(credential, resource, name: str) -> str:
    """The href of a calendar object; fetching it again reaches the same object."""
    return calendar_path(credential, resource) + quote_segment(name)


def absolute(path: str) -> str:
    return settings.TERMINSYNC_BASE_URL.rstrip("/") + path


def caldav_url(credential, resource) -> str:
    """The resource-specific URL of seed step 4: what the phone is set up with."""
    return absolute(calendar_path(credential, resource))


def caldav_home_url(credential) -> str:
    return absolute(home_path(credential))


def discovery_url() -> str:
    """For clients that discover from the server address (RFC 6764)."""
    return absolute("/.well-known/caldav")
