"""What a phone needs to be set up (U5, D1): the platform, an Apple profile, a DAVx5 link.

All addresses come from ``urls_for`` and ``settings.TERMINSYNC_BASE_URL``, the same the endpoint
serves. The Apple configuration profile is built for one response and never stored: it may carry
the service password the employee just typed.
"""

from __future__ import annotations

import plistlib
import uuid
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from django.conf import settings

from . import urls_for
from .models import ServiceCredential

APPLE, ANDROID, OTHER = "apple", "android", "other"
PLATFORMS = (APPLE, ANDROID, OTHER)
PROFILE_CONTENT_TYPE = "application/x-apple-aspen-config"
UUID_NAMESPACE = uuid.UUID("6f1c2b0e-4f1a-4d59-9a0c-7b6b1a4e1c11")  # stable payload ids: reinstalling replaces


def detect_platform(user_agent: str) -> str:
    """iPhone, iPad (iPadOS says "Macintosh") and macOS take a profile; Android takes DAVx5."""
    ua = user_agent or ""
    if "Android" in ua:
        return ANDROID
    if any(word in ua for word in ("iPhone", "iPad", "iPod", "Macintosh", "Mac OS X")):
        return APPLE
    return OTHER


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    tls: bool


def server() -> Server:
    parts = urlsplit(settings.TERMINSYNC_BASE_URL)
    tls = parts.scheme == "https"
    return Server(parts.hostname or "localhost", parts.port or (443 if tls else 80), tls)


def account_description(credential: ServiceCredential) -> str:
    return f"Terminsync – {credential.branch.name}"


def mobileconfig(credential: ServiceCredential, password: str | None = None) -> bytes:
    """A configuration profile with one CalDAV account (Apple's ``com.apple.caldav.account`` payload).

    Without ``password`` the phone asks for it when the profile is installed.
    """
    srv = server()
    ident = f"terminsync.caldav.{credential.username}"
    account = {
        "PayloadType": "com.apple.caldav.account",
        "PayloadVersion": 1,
        "PayloadIdentifier": f"{ident}.account",
        "PayloadUUID": str(uuid.uuid5(UUID_NAMESPACE, f"{ident}.account")).upper(),
        "PayloadDisplayName": account_description(credential),
        "CalDAVAccountDescription": account_description(credential),
        "CalDAVHostName": srv.host,
        "CalDAVPort": srv.port,
        "CalDAVUseSSL": srv.tls,
        "CalDAVPrincipalURL": urls_for.absolute(urls_for.principal_path(credential)),
        "CalDAVUsername": credential.username,
    }
    if password:
        account["CalDAVPassword"] = password
    profile = {
        "PayloadType": "Configuration",
        "PayloadVersion": 1,
        "PayloadIdentifier": ident,
        "PayloadUUID": str(uuid.uuid5(UUID_NAMESPACE, ident)).upper(),
        "PayloadDisplayName": account_description(credential),
        "PayloadDescription": "Kalender-Konto (CalDAV) für Terminsync",
        "PayloadOrganization": "Terminsync",
        "PayloadRemovalDisallowed": False,
        "PayloadContent": [account],
    }
    return plistlib.dumps(profile, fmt=plistlib.FMT_XML)


def davx5_link(credential: ServiceCredential, resource) -> str:
    """``caldavs://user@host/path`` (``caldav://`` over http): DAVx5 opens its login with both filled in."""
    srv = server()
    scheme = "caldavs" if srv.tls else "caldav"
    default_port = 443 if srv.tls else 80
    host = srv.host if srv.port == default_port else f"{srv.host}:{srv.port}"
    return f"{scheme}://{quote(credential.username, safe='')}@{host}{urls_for.calendar_path(credential, resource)}"
