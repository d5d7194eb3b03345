"""The XML namespaces of the WebDAV layer and Clark-notation names (``{namespace}name``).

A module of its own so that ``errors`` can build the DAV:error body without
importing ``davxml`` (which raises DavErrors); ``davxml`` re-exports all of it.
"""

from __future__ import annotations

DAV = "DAV:"
CALDAV = "urn:ietf:params:xml:ns:caldav"
CS = "http://calendarserver.org/ns/"
ICAL = "http://apple.com/ns/ical/"
NSMAP = {"D": DAV, "C": CALDAV, "CS": CS, "ICAL": ICAL}


def qname(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"
