"""What phones send, as timed workloads against any CalDAV server.

A workload is a function ``(Client) -> Callable``: the outer call does the untimed set-up (a
GET to learn the ETag, ten PUTs before an incremental sync), the returned callable is the one
request that is timed. Every response is checked (2xx, or 207 for multistatus); listings return
the set of object keys they named, so the run can check that all servers answered alike.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import unquote, urljoin

import requests
from dataset import CENTRE
from lxml import etree

DAV = "{DAV:}"
PROPFIND_D0 = ('<D:propfind xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><D:prop>'
               "<CS:getctag/><D:sync-token/></D:prop></D:propfind>")
PROPFIND_D1 = '<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>'
SYNC = ('<D:sync-collection xmlns:D="DAV:"><D:sync-token>{}</D:sync-token><D:sync-level>1</D:sync-level>'
        "<D:prop><D:getetag/></D:prop></D:sync-collection>")


def key(href: str) -> str:
    """The object an href names, the same on every server (``bench-N-i``)."""
    return unquote(href.rstrip("/").rsplit("/", 1)[-1]).removesuffix(".ics").split("@")[0]


def query(days: int) -> str:
    start = dt.datetime.combine(CENTRE, dt.time(), dt.timezone.utc)
    end = start + dt.timedelta(days=days)
    fmt = "%Y%m%dT%H%M%SZ"
    return ('<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/>'
            '</D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range '
            f'start="{start.strftime(fmt)}" end="{end.strftime(fmt)}"/></C:comp-filter></C:comp-filter>'
            "</C:filter></C:calendar-query>")


@dataclass
class Client:
    """One keep-alive session against one server's calendar, and what it learnt of it."""

    name: str
    collection: str
    auth: tuple[str, str] | None
    session: requests.Session = field(default_factory=requests.Session)
    hrefs: dict[str, str] = field(default_factory=dict)  # key -> href

    def __post_init__(self) -> None:
        self.session.auth = self.auth

    def dav(self, method: str, body: str = "", url: str | None = None, **headers: str) -> requests.Response:
        r = self.session.request(method, url or self.collection, data=body.encode(),
                                 headers={"Content-Type": "application/xml; charset=utf-8", **headers})
        if r.status_code >= 300:
            raise RuntimeError(f"{self.name}: {method} {r.status_code} {r.text[:200]}")
        return r

    def url(self, k: str) -> str:
        return urljoin(self.collection, self.hrefs[k])

    def learn(self) -> None:
        self.hrefs = {key(h): h for h in listed(self.dav("PROPFIND", PROPFIND_D1, Depth="1"), self.collection)}

    def token(self) -> str:
        root = etree.fromstring(self.dav("PROPFIND", PROPFIND_D0, Depth="0").content)
        return root.findtext(f".//{DAV}sync-token")

    def edit(self, k: str, session: requests.Session | None = None) -> Callable[[], requests.Response]:
        """GET the object now; the returned callable PUTs it back changed, with If-Match."""
        s = session or self.session
        r = s.get(self.url(k))
        r.raise_for_status()
        # one "x" more or less at the SUMMARY's start: a run of thousands of edits (and run after run on
        # the same database) must not grow the title past its 255 characters into a 403
        text = r.text
        text = text.replace("SUMMARY:x", "SUMMARY:", 1) if "SUMMARY:x" in text else text.replace(
            "SUMMARY:", "SUMMARY:x", 1)
        body = text.encode()

        def put() -> requests.Response:
            p = s.put(self.url(k), data=body, headers={"Content-Type": "text/calendar; charset=utf-8",
                                                       "If-Match": r.headers["ETag"]})
            if p.status_code not in (201, 204):
                raise RuntimeError(f"{self.name}: PUT {p.status_code} {p.text[:200]}")
            return p
        return put


def listed(response: requests.Response, collection: str) -> set[str]:
    """The hrefs of objects a multistatus names with a 200 (the collection itself left out)."""
    root = etree.fromstring(response.content)
    out = set()
    own = unquote(requests.utils.urlparse(collection).path).rstrip("/")
    for resp in root.iter(f"{DAV}response"):
        href = resp.findtext(f"{DAV}href") or ""
        if unquote(requests.utils.urlparse(href).path).rstrip("/") == own:
            continue
        status = resp.findtext(f"{DAV}status")  # a response-level status: 404 of a deleted object
        if status is not None and " 200 " not in status:
            continue
        out.add(href)
    return out


def sample_keys(keys: list[str], count: int) -> list[str]:
    keys = sorted(keys)
    step = max(1, len(keys) // count)
    return keys[::step][:count]


def multiget(c: Client, keys: list[str]) -> str:
    hrefs = "".join(f"<D:href>{requests.utils.quote(unquote(c.hrefs[k]), safe='/@:')}</D:href>" for k in keys)
    return ('<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/>'
            f"<C:calendar-data/></D:prop>{hrefs}</C:calendar-multiget>")


def workloads(common: list[str]) -> dict[str, Callable[[Client], Callable[[], object]]]:
    """Name -> set-up function. ``common`` are the keys every server holds (GET, PUT, multiget use them)."""
    middle = sorted(common)[len(common) // 2]
    some = sample_keys(common, 100)
    edited = sorted(common)[len(common) // 3: len(common) // 3 + 10]

    def incremental(c: Client) -> Callable[[], object]:
        before = c.token()
        for k in edited:
            c.edit(k)()
        return lambda: c.dav("REPORT", SYNC.format(before), Depth="0")

    return {
        "PROPFIND Depth 0 (ctag + sync-token)": lambda c: lambda: c.dav("PROPFIND", PROPFIND_D0, Depth="0"),
        "GET one object": lambda c: lambda: c.session.get(c.url(middle)).raise_for_status(),
        "PROPFIND Depth 1 (ETags of all)": lambda c: lambda: c.dav("PROPFIND", PROPFIND_D1, Depth="1"),
        "calendar-multiget of 100": lambda c: (lambda body: lambda: c.dav("REPORT", body, Depth="1"))(
            multiget(c, some)),
        "sync-collection, initial": lambda c: lambda: c.dav("REPORT", SYNC.format(""), Depth="0"),
        "PUT with If-Match": lambda c: c.edit(middle),
        "calendar-query, one week": lambda c: lambda: c.dav("REPORT", query(7), Depth="1"),
        "calendar-query, one month": lambda c: lambda: c.dav("REPORT", query(30), Depth="1"),
        "sync-collection after 10 changes": incremental,
    }


NAMES = ["PROPFIND Depth 0 (ctag + sync-token)", "GET one object", "PROPFIND Depth 1 (ETags of all)",
         "calendar-multiget of 100", "sync-collection, initial", "PUT with If-Match", "calendar-query, one week",
         "calendar-query, one month", "sync-collection after 10 changes"]
LISTINGS = {"PROPFIND Depth 1 (ETags of all)", "calendar-multiget of 100", "sync-collection, initial",
            "calendar-query, one week", "calendar-query, one month"}


@dataclass
class LoadResult:
    ops_per_s: float
    errors: dict[str, int]
    get_ms: list[float]


def load(c: Client, common: list[str], seconds: float, clients: int = 8) -> LoadResult:
    """``clients`` threads, each its own keep-alive session: 70 % week query, 20 % GET, 10 % PUT."""
    stop = time.perf_counter() + seconds
    done, errors, gets = [0], {}, []
    lock = threading.Lock()
    week = query(7)
    keys = sorted(common)

    def worker(n: int) -> None:
        rng = random.Random(n)
        s = requests.Session()
        s.auth = c.auth
        own = keys[-(n + 1)]  # each client edits its own object: no 412 races between them
        while time.perf_counter() < stop:
            roll = rng.random()
            t = time.perf_counter()
            try:
                if roll < 0.7:
                    r = s.request("REPORT", c.collection, data=week.encode(),
                                  headers={"Depth": "1", "Content-Type": "application/xml"})
                    ok = r.status_code == 207
                elif roll < 0.9:
                    r = s.get(c.url(rng.choice(keys)))
                    ok = r.status_code == 200
                    with lock:
                        gets.append((time.perf_counter() - t) * 1000)
                else:
                    c.edit(own, s)()
                    ok = True
                err = None if ok else str(r.status_code)
            except (requests.RequestException, RuntimeError) as exc:
                err = type(exc).__name__ if isinstance(exc, requests.RequestException) else str(exc)[:40]
            with lock:
                done[0] += 1
                if err:
                    errors[err] = errors.get(err, 0) + 1

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return LoadResult(done[0] / (time.perf_counter() - t0), errors, sorted(gets))
