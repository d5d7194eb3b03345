"""One contract behind every door (S6, D5, D7, A1, P2): the same case through CalDAV, REST and the admin.

Each case is sent through every door that can express it: the CalDAV PUT and the
REST ``ical`` field carry an iCalendar object; the REST fields and the admin
form carry modelled fields. Every door must accept or refuse alike (its status,
its reason code or DAV:error element, the form error beside the field), and
leave the same stored state: on a refusal nothing at all changes (appointments,
bookings, occurrences, change log); on acceptance the stored columns are the
case's expected ones, whatever the door.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import pytest
from django.contrib.auth import get_user_model
from lxml import etree
from rest_framework.authtoken.models import Token

from branches.models import Branch
from scheduler import services
from scheduler.models import Appointment, Booking, Change, Occurrence
from tests import factories as f
from tests.caldav.conftest import NS
from tests.caldav.conftest import request as dav_request

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


UTC = dt.timezone.utc
DOORS = ("caldav", "rest_ical", "rest_fields", "admin")
CAL = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\n{}END:VCALENDAR\r\n"


def vevent(uid="new-1", start="DTSTART;TZID=Europe/Berlin:20261201T100000",
           end="DTEND;TZID=Europe/Berlin:20261201T110000", extra="", summary="Sehtest") -> str:
    return (f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261101T000000Z\r\n{start}\r\n{end}\r\n"
            f"SUMMARY:{summary}\r\n{extra}END:VEVENT\r\n")


def obj(**kw) -> str:
    return CAL.format(vevent(**kw))


@dataclass
class Case:
    """``refusal``: (caldav status, DAV:error element or None, REST status, REST code, form field) or None."""

    name: str
    ical: str | bytes | None = None
    fields: dict | None = None
    refusal: tuple | None = None
    expect: dict = field(default_factory=dict)  # stored columns on acceptance
    flagged: bool = False
    policy: str = "accept"
    allow_conflict: bool = False
    existing: bool = False  # an appointment of Anna on 1 Dec 10:00-11:00 exists (UID "existing-1")
    update: bool = False  # the door changes that existing appointment instead of creating
    headers: dict = field(default_factory=dict)
    doors: tuple = DOORS


ONE_HOUR = {"start": dt.datetime(2026, 12, 1, 9, tzinfo=UTC), "end": dt.datetime(2026, 12, 1, 10, tzinfo=UTC),
            "all_day": False}
OVERLAP = {"start": "2026-12-01T10:30:00+01:00", "end": "2026-12-01T11:30:00+01:00"}
OVERLAP_ICAL = obj(start="DTSTART;TZID=Europe/Berlin:20261201T103000", end="DTEND;TZID=Europe/Berlin:20261201T113000")
# The REST door's serializer refuses some inputs by type before the contract sees them (its own code).
INVALID = ("valid-calendar-data", 400, {"invalid_calendar_data", "max_length", "null_characters_not_allowed"})

CASES = [
    Case("valid", obj(), {}, expect=ONE_HOUR),
    Case("all_day_with_times", obj(start="DTSTART;VALUE=DATE:20261201", end="DTEND;VALUE=DATE:20261202"),
         {"all_day": True, "start": "2026-12-01T10:00:00+01:00", "end": "2026-12-01T12:00:00+01:00"},
         expect={"start": dt.datetime(2026, 11, 30, 23, tzinfo=UTC), "end": dt.datetime(2026, 12, 1, 23, tzinfo=UTC),
                 "all_day": True}),
    Case("two_uids_and_vtodo", CAL.format(vevent(uid="a") + vevent(uid="b") + "BEGIN:VTODO\r\nUID:c\r\nEND:VTODO\r\n"),
         refusal=(403, "supported-calendar-component", 400, "unsupported_component", None)),
    Case("two_uids", CAL.format(vevent(uid="a") + vevent(uid="b")),
         refusal=(403, "valid-calendar-object-resource", 400, "invalid_object", None)),
    Case("only_vtodo", CAL.format("BEGIN:VTODO\r\nUID:t\r\nEND:VTODO\r\n"),
         refusal=(403, "supported-calendar-component", 400, "unsupported_component", None)),
    Case("no_dtstart", CAL.format("BEGIN:VEVENT\r\nUID:x\r\nSUMMARY:s\r\nEND:VEVENT\r\n"),
         refusal=(403, *INVALID, None)),
    Case("dtend_before_dtstart", obj(end="DTEND;TZID=Europe/Berlin:20261201T090000"),
         {"end": "2026-12-01T09:00:00+01:00"}, refusal=(403, "valid-calendar-data", 400, "invalid_times", "end")),
    Case("month_13", obj(start="DTSTART:20261345T100000Z", end="DTEND:20261345T110000Z"),
         refusal=(403, *INVALID, None)),
    Case("february_30", obj(start="DTSTART:20260230T100000Z", end="DTEND:20260230T110000Z"),
         refusal=(403, *INVALID, None)),
    Case("year_9999", obj(start="DTSTART:99991201T100000Z", end="DTEND:99991201T110000Z"),
         {"start": "9999-12-01T10:00:00Z", "end": "9999-12-01T11:00:00Z"},
         refusal=(403, "valid-calendar-data", 400, {"invalid_calendar_data", "invalid_times"}, "start")),
    Case("date_and_datetime_mixed", obj(start="DTSTART;VALUE=DATE:20261201", end="DTEND:20261201T110000Z"),
         refusal=(403, *INVALID, None)),
    Case("oversized", obj(extra="DESCRIPTION:" + "x" * (1024 * 1024 + 10) + "\r\n"),
         refusal=(403, "max-resource-size", 400, "too_large", None)),
    Case("not_utf8", obj(summary="Hörtest").encode("latin-1"), refusal=(403, "supported-calendar-data", 400, None, None),
         doors=("caldav", "rest_ical")),
    Case("summary_too_long", obj(summary="S" * 300), {"title": "S" * 300}, refusal=(403, *INVALID, "title")),
    Case("nul_in_summary", obj(summary="Seh\x00test"), {"title": "Seh\x00test"}, refusal=(403, *INVALID, "title")),
    Case("uid_too_long", obj(uid="u" * 300), refusal=(403, *INVALID, None)),
    Case("freq_secondly", obj(extra="RRULE:FREQ=SECONDLY\r\n"), {"rrule": "FREQ=SECONDLY"},
         refusal=(403, "valid-calendar-data", 400, "recurrence_refused", "rrule")),
    Case("freq_minutely_count", obj(extra="RRULE:FREQ=MINUTELY;COUNT=100000\r\n"),
         {"rrule": "FREQ=MINUTELY;COUNT=100000"}, refusal=(403, "valid-calendar-data", 400, "recurrence_refused", "rrule")),
    Case("rrule_too_long", obj(extra="RRULE:FREQ=DAILY;BYMONTHDAY=" + ",".join(["1"] * 300) + "\r\n"),
         {"rrule": "FREQ=DAILY;BYMONTHDAY=" + ",".join(["1"] * 300)}, refusal=(403, *INVALID, "rrule")),
    Case("rrule_garbage", None, {"rrule": "FREQ=SOMETIMES"}, refusal=(None, None, 400, "invalid_calendar_data", "rrule"),
         doors=("rest_fields", "admin")),
    Case("stale_etag", obj(uid="existing-1", summary="neu"), {"title": "neu"}, existing=True, update=True,
         headers={"If-Match": '"stale"'}, refusal=(412, None, 412, "precondition_failed", None)),
    Case("if_match_list_with_current", obj(uid="existing-1", summary="neu"), {"title": "neu"}, existing=True,
         update=True, headers={"If-Match": '"x", CURRENT'}, expect={"title": "neu"}, doors=("caldav", "rest_ical")),
    Case("if_none_match_existing", obj(uid="existing-1", summary="neu"), existing=True, update=True,
         headers={"If-None-Match": "*"}, refusal=(412, None, None, None, None), doors=("caldav",)),
    Case("if_match_missing_object", obj(), headers={"If-Match": '"abc"'}, refusal=(412, None, None, None, None),
         doors=("caldav",)),
    Case("duplicate_uid_in_calendar", obj(uid="existing-1"), existing=True,
         refusal=(403, "no-uid-conflict", 409, "uid_conflict", None), doors=("caldav", "rest_ical")),
    Case("uid_changed", obj(uid="other-uid"), existing=True, update=True,
         refusal=(403, "no-uid-conflict", 400, "uid_changed", None), doors=("caldav", "rest_ical")),
    Case("room_of_other_branch", None, {"resources": "other_room"},
         refusal=(None, None, 400, "resource_other_branch", "booked_resources"), doors=("rest_fields", "admin")),
    Case("person_of_other_branch_warns", None, {"resources": "other_branch_person"}, expect=ONE_HOUR,
         doors=("rest_fields", "admin")),
    Case("no_resources", None, {"resources": "none"}, refusal=(None, None, 400, None, "booked_resources"),
         doors=("rest_fields", "admin")),
    Case("conflict_accepted_by_policy", OVERLAP_ICAL, existing=True, flagged=True,
         expect={"start": dt.datetime(2026, 12, 1, 9, 30, tzinfo=UTC)}, doors=("caldav",)),
    Case("conflict_refused_by_policy", OVERLAP_ICAL, existing=True, policy="refuse",
         refusal=(403, "no-double-booking", None, None, None), doors=("caldav",)),
    Case("conflict_needs_confirmation", OVERLAP_ICAL, OVERLAP, existing=True,
         refusal=(None, None, 409, "conflict", "booked_resources"), doors=("rest_ical", "rest_fields", "admin")),
    Case("conflict_confirmed", OVERLAP_ICAL, OVERLAP, existing=True, allow_conflict=True, flagged=True,
         expect={"start": dt.datetime(2026, 12, 1, 9, 30, tzinfo=UTC)}, doors=("rest_ical", "rest_fields", "admin")),
    Case("cancelled_overlap_is_no_conflict", obj(start="DTSTART;TZID=Europe/Berlin:20261201T103000",
                                                 end="DTEND;TZID=Europe/Berlin:20261201T113000",
                                                 extra="STATUS:CANCELLED\r\n"),
         dict(OVERLAP, status="CANCELLED"), existing=True, expect={"status": "CANCELLED"}),
]


def snapshot() -> tuple:
    """Everything a write could have touched."""
    return (list(Appointment.objects.order_by("pk").values_list("pk", "etag", "title", "deleted_at", "has_conflict")),
            list(Booking.objects.order_by("pk").values_list("pk", "resource_id", "name", "deleted_at")),
            Occurrence.objects.count(), list(Change.objects.order_by("pk").values_list("pk", "revision")))


class World:
    def __init__(self, dav, client, case: Case):
        self.dav, self.client, self.case = dav, client, case
        Branch.objects.filter(pk=dav.branch.pk).update(conflict_policy=case.policy)
        dav.credential.branch.refresh_from_db()
        self.existing = None
        if case.existing:
            self.existing = services.create_appointment(
                branch=dav.branch, resources=[dav.person], uid="existing-1", title="Bestand",
                start=dt.datetime(2026, 12, 1, 9, tzinfo=UTC), end=dt.datetime(2026, 12, 1, 10, tzinfo=UTC))
        self.admin = get_user_model().objects.create_superuser("chef", "chef@example.com", "x")
        self.token = Token.objects.create(user=self.admin).key

    def headers(self) -> dict:
        out = {}
        for key, value in self.case.headers.items():
            out[key] = value.replace("CURRENT", f'"{self.existing.etag}"') if self.existing else value
        return out

    def resources(self) -> list[int]:
        choice = (self.case.fields or {}).get("resources")
        if choice == "other_room":
            return [self.dav.person.pk, self.dav.other_room.pk]
        if choice == "other_branch_person":
            other = f.resource(employee=f.employee(self.dav.other_room.branch), name="Lübecker Kollegin")
            return [self.dav.person.pk, other.pk]
        if choice == "none":
            return []
        return [self.dav.person.pk]

    def fields(self) -> dict:
        data = {"title": "Sehtest", "start": "2026-12-01T10:00:00+01:00", "end": "2026-12-01T11:00:00+01:00",
                "all_day": False, "timezone": "Europe/Berlin", "rrule": "", "status": "CONFIRMED"}
        data.update({k: v for k, v in (self.case.fields or {}).items() if k != "resources"})
        return data

    # --- the doors -------------------------------------------------------------------------------
    def caldav(self):
        name = self.existing.bookings.get().name if self.case.update else "new-object.ics"
        body = self.case.ical
        resp = dav_request(self.client, "PUT", self.dav.path(self.dav.person, name), body,
                           content_type="text/calendar; charset=utf-8", **self.headers())
        return resp

    def rest(self, payload: dict | bytes):
        headers = {"HTTP_AUTHORIZATION": f"Token {self.token}"}
        headers.update({"HTTP_" + k.upper().replace("-", "_"): v for k, v in self.headers().items()})
        body = payload if isinstance(payload, bytes) else json.dumps(payload)
        if self.case.update:
            return self.client.generic("PATCH", f"/api/appointments/{self.existing.pk}/", body,
                                       content_type="application/json", **headers)
        return self.client.generic("POST", "/api/appointments/", body, content_type="application/json", **headers)

    def rest_ical(self):
        if isinstance(self.case.ical, bytes):  # the same bytes, not valid UTF-8, inside JSON
            payload = b'{"branch": %d, "resources": [%d], "ical": "' % (self.dav.branch.pk, self.dav.person.pk)
            return self.rest(payload + self.case.ical.replace(b"\r\n", b"\\r\\n") + b'"}')
        payload = {"ical": self.case.ical, "allow_conflict": self.case.allow_conflict}
        if not self.case.update:
            payload.update(branch=self.dav.branch.pk, resources=self.resources())
        return self.rest(payload)

    def rest_fields(self):
        payload = self.fields()
        payload["allow_conflict"] = self.case.allow_conflict
        if self.case.update:
            payload = {k: v for k, v in payload.items() if k in (self.case.fields or {})}
        else:
            payload.update(branch=self.dav.branch.pk, resources=self.resources())
        return self.rest(payload)

    def admin_form(self):
        self.client.force_login(self.admin)
        data = self.fields()
        local = {}
        for key in ("start", "end"):
            when = dt.datetime.fromisoformat(data.pop(key).replace("Z", "+00:00")).astimezone(f.BERLIN)
            local[f"{key}_0"], local[f"{key}_1"] = when.strftime("%d.%m.%Y"), when.strftime("%H:%M:%S")
        data.update(local, branch=self.dav.branch.pk, booked_resources=self.resources(), place="", notes="")
        if not data.pop("all_day"):
            pass
        else:
            data["all_day"] = "on"
        if self.case.allow_conflict:
            data["allow_conflict"] = "on"
        if self.case.update:
            version = self.headers().get("If-Match", f'"{self.existing.etag}"').strip('"')
            data["version"] = version
            return self.client.post(f"/admin/scheduler/appointment/{self.existing.pk}/change/", data)
        return self.client.post("/admin/scheduler/appointment/add/", data)


def cases_for_doors():
    for case in CASES:
        for door in case.doors:
            applicable = {"caldav": case.ical is not None, "rest_ical": case.ical is not None,
                          "rest_fields": case.fields is not None, "admin": case.fields is not None}[door]
            if applicable:
                yield pytest.param(case, door, id=f"{case.name}-{door}")


def test_the_table_is_wide_enough():
    assert len(CASES) >= 25
    assert sum(1 for _ in cases_for_doors()) >= 60


@pytest.mark.parametrize(("case", "door"), list(cases_for_doors()))
def test_every_door_keeps_the_contract(dav, client, case, door):
    world = World(dav, client, case)
    before = snapshot()
    resp = {"caldav": world.caldav, "rest_ical": world.rest_ical, "rest_fields": world.rest_fields,
            "admin": world.admin_form}[door]()
    if case.refusal is None:
        assert_accepted(world, case, door, resp)
    else:
        assert_refused(case, door, resp)
        assert snapshot() == before, "a refused write changed stored state"


def assert_accepted(world, case, door, resp):
    if door == "admin":
        assert resp.status_code == 302, resp.content.decode()[-3000:]
    else:
        assert resp.status_code in (200, 201, 204), resp.content
    appt = (Appointment.objects.get(pk=world.existing.pk) if case.update
            else Appointment.objects.exclude(uid="existing-1").get())
    for key, value in case.expect.items():
        assert getattr(appt, key) == value, (key, getattr(appt, key))
    assert appt.has_conflict == case.flagged
    assert appt.bookings.filter(deleted_at__isnull=True).count() == len(world.resources() if case.fields else [1])


def assert_refused(case, door, resp):
    dav_status, element, rest_status, code, form_field = case.refusal
    if door == "caldav":
        assert resp.status_code == dav_status, resp.content
        if element:
            root = etree.fromstring(resp.content)
            assert root.tag == "{DAV:}error"
            assert any(etree.QName(child).localname == element for child in root), resp.content
            if element == "no-uid-conflict" and case.name == "duplicate_uid_in_calendar":
                assert root.find(".//D:href", NS).text.endswith("/existing-1.ics")
    elif door in ("rest_ical", "rest_fields"):
        assert resp.status_code == rest_status, resp.content
        body = resp.json()
        assert body["code"] and body["detail"] and body["status"] == rest_status, body  # RFC 9457
        if case.name != "not_utf8":  # a body that is not JSON at all has no field to name
            assert body["field"] in body["errors"], body  # the field named
        if code:
            assert body["code"] in (code if isinstance(code, set) else {code}), body
        if form_field and door == "rest_fields":
            assert body["field"] == {"booked_resources": "resources"}.get(form_field, form_field), body
    else:
        assert resp.status_code == 200, "the admin form must be shown again with the error"
        form = resp.context["adminform"].form
        if form_field:
            assert form.errors.get(form_field), form.errors
        else:
            assert form.errors, "expected a form error"


def test_conflicting_phone_write_lists_the_credential(dav, client):
    """P2: an accepted double booking is flagged with who wrote it (the admin list shows both)."""
    world = World(dav, client, CASES[-5])
    assert world.caldav().status_code == 201
    appt = Appointment.objects.exclude(uid="existing-1").get()
    assert appt.has_conflict and appt.changed_by == f"CalDAV: {dav.credential.username}"
    client.force_login(world.admin)
    page = client.get("/admin/scheduler/appointment/?has_conflict__exact=1").content.decode()
    assert f"CalDAV: {dav.credential.username}" in page and "Bestand" not in page


def test_branch_admin_sets_the_phone_conflict_policy(dav, client):
    """P2: the policy is a branch setting a superuser or the branch manager changes in the admin."""
    client.force_login(get_user_model().objects.create_superuser("chef", "chef@example.com", "x"))
    page = client.get(f"/admin/branches/branch/{dav.branch.pk}/change/").content.decode()
    assert "Terminkonflikte vom Telefon" in page and "annehmen und markieren" in page
    assert "Terminkonflikte vom Telefon" in client.get("/admin/branches/branch/").content.decode()
