"""CalDAV test fixtures: a branch with an employee, their calendar, rooms and a working credential."""

from __future__ import annotations

import base64
from dataclasses import dataclass

import pytest
from lxml import etree

from branches.models import Privacy
from scheduler.models import Resource
from servicecreds.models import ServiceCredential
from tests import factories as f

PASSWORD = "Geheim-Passwort-42"
NS = {"D": "DAV:", "C": "urn:ietf:params:xml:ns:caldav", "CS": "http://calendarserver.org/ns/",
      "ICAL": "http://apple.com/ns/ical/"}


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    """Password hashing itself is tested in tests/servicecreds; here it would only cost time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class Setup:
    branch: object
    employee: object
    person: Resource
    room: Resource
    other_room: Resource
    other_person: Resource
    credential: ServiceCredential

    def path(self, resource: Resource, name: str = "") -> str:
        return f"/caldav/{self.credential.username}/{resource.slug}/{name}"


def make_credential(user, branch, username="anna-phone", **kw) -> ServiceCredential:
    cred = ServiceCredential(username=username, user=user, branch=branch, confirmed=kw.pop("confirmed", True), **kw)
    cred.set_password(PASSWORD)
    cred.save()
    return cred


def build_setup() -> Setup:
    """Hamburg with Anna (person resource), a room, a Lübeck room, Ben's resource and Anna's credential."""
    # Protocol tests see rooms complete; what privacy levels (V1) change is tested in tests/privacy.
    branch = f.branch("hh", name="Hamburg", privacy=Privacy.FULL)
    other_branch = f.branch("hl", name="Lübeck")
    emp = f.employee(branch, display_name="Anna Becker", email="anna@example.com")
    person = f.resource(employee=emp, name="Anna Becker")
    room = f.room(branch, name="Refraktionsraum")
    other_room = f.room(other_branch, name="Hörkabine Lübeck")
    other_person = f.resource(branch, employee=f.employee(branch), name="Ben Schulz")
    cred = make_credential(emp.user, branch)
    return Setup(branch, emp, person, room, other_room, other_person, cred)


def auth(username="anna-phone", password=PASSWORD) -> dict:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


def request(client, method: str, path: str, body: str | bytes = b"", *, user="anna-phone", password=PASSWORD,
            content_type="application/xml; charset=utf-8", **headers):
    extra = auth(user, password) if user else {}
    extra.update({f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()})
    if isinstance(body, str):
        body = body.encode("utf-8")
    return client.generic(method, path, body, content_type=content_type, **extra)


def body(resp) -> bytes:
    """The whole body; a large multistatus is streamed (``davxml.multistatus_body``) and read to its end."""
    return b"".join(resp.streaming_content) if resp.streaming else resp.content


def xml(resp):
    return etree.fromstring(body(resp))


def propstats(resp, href: str) -> dict[str, dict[str, etree._Element]]:
    """{status code: {'{ns}name': element}} for one response of a multistatus."""
    root = xml(resp)
    for r in root.findall("D:response", NS):
        if r.findtext("D:href", namespaces=NS) == href:
            out = {}
            for ps in r.findall("D:propstat", NS):
                code = ps.findtext("D:status", namespaces=NS).split()[1]
                out[code] = {el.tag: el for el in ps.find("D:prop", NS)}
            return out
    raise AssertionError(f"no response for {href} in {resp.content.decode()}")


def hrefs(resp) -> list[str]:
    return [r.findtext("D:href", namespaces=NS) for r in xml(resp).findall("D:response", NS)]


def event(uid="ev-1", summary="Sehtest", start="20261124T100000", end="20261124T110000", extra="",
          tzid="Europe/Berlin") -> str:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\nBEGIN:VEVENT\r\n"
            f"UID:{uid}\r\nDTSTAMP:20261101T000000Z\r\nDTSTART;TZID={tzid}:{start}\r\n"
            f"DTEND;TZID={tzid}:{end}\r\nSUMMARY:{summary}\r\n{extra}END:VEVENT\r\nEND:VCALENDAR\r\n")
