"""The planner's writes go through the one writer, with If-Match and conflict confirmation (issue 11)."""

import datetime as dt
import json

import pytest

from scheduler import ical, services
from scheduler.models import Appointment, Booking, Occurrence
from tests import factories as f
from tests.planner.world import BERLIN, UTC, local, shop, superuser, weekly_series
from tests.security.scope_world import branch_manager

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return shop()


@pytest.fixture
def chef(client):
    client.force_login(superuser())
    return client


def post(client, url: str, body: dict):
    return client.post(url, json.dumps(body), content_type="application/json")


def create(client, world, **over):
    body = {"branch": world.branch.pk, "title": "Sehtest", "start": "2026-11-27T10:00", "minutes": 30,
            "resources": [world.anna.pk, world.room.pk], "notes": "Brille mitbringen"}
    body.update(over)
    return post(client, "/admin/planner/appointments/", body)


def move(client, appt, occurrence: dt.datetime, start: str, end: str, **over):
    body = {"etag": appt.etag, "occurrence": occurrence.isoformat(), "start": start, "end": end}
    body.update(over)
    return post(client, f"/admin/planner/appointments/{appt.pk}/move/", body)


def starts(appt) -> list[str]:
    return [o.start.astimezone(BERLIN).strftime("%m-%d %H:%M") for o in Occurrence.objects.filter(appointment=appt)
            .order_by("start")]


def test_create_books_both_resources_through_the_writer(chef, world):
    resp = create(chef, world)
    assert resp.status_code == 201, resp.content
    appt = Appointment.objects.get(pk=resp.json()["appointment"])
    assert (appt.title, appt.notes, appt.source, appt.changed_by) == ("Sehtest", "Brille mitbringen", "scheduler", "chef")
    assert appt.start == local(2026, 11, 27, 10) and appt.end == local(2026, 11, 27, 10, 30)
    assert set(Booking.objects.active().filter(appointment=appt).values_list("resource", flat=True)) == {
        world.anna.pk, world.room.pk}
    assert appt.changes.count() == 2  # the change log, one row per calendar


def test_create_into_a_conflict_asks_first(chef, world):
    f.appointment([world.anna], title="Schon da", start=local(2026, 11, 27, 10))
    resp = create(chef, world, resources=[world.anna.pk])
    assert resp.status_code == 409
    problem = resp.json()
    assert problem["code"] == "conflict" and problem["field"] == "resources"
    assert problem["conflicts"][0]["title"] == "Schon da" and "Anna Becker" in problem["detail"]
    assert Appointment.objects.filter(title="Sehtest").count() == 0
    resp = create(chef, world, resources=[world.anna.pk], allow_conflict=True)  # "Trotzdem speichern"
    assert resp.status_code == 201 and resp.json()["conflict"] is True
    assert Appointment.objects.get(title="Sehtest").has_conflict


def test_create_refusals_name_the_field(chef, world):
    assert create(chef, world, title="").json()["field"] == "title"
    assert create(chef, world, resources=[world.other_room.pk]).json()["field"] == "resources"
    assert create(chef, world, start="morgen").json()["field"] == "start"


def test_all_day_create(chef, world):
    resp = create(chef, world, all_day=True, start="2026-11-27T00:00", title="Inventur")
    appt = Appointment.objects.get(pk=resp.json()["appointment"])
    assert appt.all_day and appt.start == local(2026, 11, 27) and appt.end == local(2026, 11, 28)


def test_move_and_resize_with_if_match(chef, world):
    appt = f.appointment([world.anna, world.room], start=local(2026, 11, 27, 10), minutes=30)
    resp = move(chef, appt, appt.start, "2026-11-27T11:00", "2026-11-27T11:30")
    assert resp.status_code == 200, resp.content
    appt.refresh_from_db()
    assert appt.start == local(2026, 11, 27, 11) and resp.json()["etag"] == appt.etag
    resp = move(chef, appt, appt.start, "2026-11-27T11:00", "2026-11-27T12:15", resized=True)
    appt.refresh_from_db()
    assert appt.end == local(2026, 11, 27, 12, 15)


def test_stale_etag_is_refused_and_nothing_changes(chef, world):
    appt = f.appointment([world.anna], start=local(2026, 11, 27, 10))
    drawn = Appointment.objects.get(pk=appt.pk)
    phone = Appointment.objects.get(pk=appt.pk)  # a phone moves it to 12:00 meanwhile
    phone.start, phone.end = local(2026, 11, 27, 12), local(2026, 11, 27, 13)
    services.save_appointment(phone, if_match=phone.etag, changed_by="phone: anna")
    resp = move(chef, drawn, drawn.start, "2026-11-27T11:00", "2026-11-27T12:00")
    assert resp.status_code == 412 and resp.json()["code"] == "precondition_failed"
    appt.refresh_from_db()
    assert appt.start == local(2026, 11, 27, 12)


def test_drag_to_another_column_swaps_that_resource(chef, world):
    appt = f.appointment([world.anna, world.room], start=local(2026, 11, 27, 10))
    resp = move(chef, appt, appt.start, "2026-11-27T10:00", "2026-11-27T11:00", from_resource=world.anna.pk,
                to_resource=world.ben.pk)
    assert resp.status_code == 200, resp.content
    assert set(Booking.objects.active().filter(appointment=appt).values_list("resource", flat=True)) == {
        world.ben.pk, world.room.pk}


def test_move_into_conflict_asks(chef, world):
    f.appointment([world.anna], title="Belegt", start=local(2026, 11, 27, 11))
    appt = f.appointment([world.anna], start=local(2026, 11, 27, 9))
    resp = move(chef, appt, appt.start, "2026-11-27T11:00", "2026-11-27T12:00")
    assert resp.status_code == 409
    resp = move(chef, appt, appt.start, "2026-11-27T11:00", "2026-11-27T12:00", allow_conflict=True)
    assert resp.status_code == 200 and resp.json()["conflict"] is True


def series(world, **kw) -> Appointment:
    return services.create_appointment(branch=world.branch, resources=[world.anna], timezone="Europe/Berlin",
                                       ical_text=weekly_series("s@test", local(2026, 10, 13, 9), count=6, **kw))


def test_series_needs_a_scope(chef, world):
    appt = series(world)
    resp = move(chef, appt, local(2026, 10, 20, 9), "2026-10-20T10:00", "2026-10-20T11:00")
    assert resp.status_code == 400 and resp.json()["code"] == "scope_required"


def test_only_this_instance_becomes_an_override(chef, world):
    appt = series(world)
    resp = move(chef, appt, local(2026, 10, 20, 9), "2026-10-21T10:00", "2026-10-21T11:00", scope="instance")
    assert resp.status_code == 200, resp.content
    appt.refresh_from_db()
    assert starts(appt) == ["10-13 09:00", "10-21 10:00", "10-27 09:00", "11-03 09:00", "11-10 09:00", "11-17 09:00"]
    [override] = [ev for ev in ical.events(ical.parse(appt.ical)) if "RECURRENCE-ID" in ev]
    assert override["RECURRENCE-ID"].dt == local(2026, 10, 20, 9)
    assert str(override["SUMMARY"]) == "Teamrunde" and "RRULE" not in override
    # moving the moved instance again changes the same override (no second one)
    resp = move(chef, appt, local(2026, 10, 21, 10), "2026-10-22T08:00", "2026-10-22T09:00", scope="instance")
    appt.refresh_from_db()
    assert len([ev for ev in ical.events(ical.parse(appt.ical)) if "RECURRENCE-ID" in ev]) == 1
    assert starts(appt)[1] == "10-22 08:00"


def test_whole_series_shifts_across_dst_keeping_exdate_and_moved_instance(chef, world):
    appt = series(world, exdate_week=2, moved_week=3)  # 27 Oct excluded; 3 Nov moved to Wed 4 Nov 11:00
    assert starts(appt) == ["10-13 09:00", "10-20 09:00", "11-04 11:00", "11-10 09:00", "11-17 09:00"]
    resp = move(chef, appt, local(2026, 10, 20, 9), "2026-10-20T14:00", "2026-10-20T15:00", scope="series")
    assert resp.status_code == 200, resp.content
    appt.refresh_from_db()
    # every instance 5 hours later in wall-clock time (also after the DST change), still none on 27 Oct,
    # the moved instance stays where it was moved to
    assert starts(appt) == ["10-13 14:00", "10-20 14:00", "11-04 11:00", "11-10 14:00", "11-17 14:00"]


def test_whole_series_resize(chef, world):
    appt = series(world)
    resp = move(chef, appt, local(2026, 10, 20, 9), "2026-10-20T09:00", "2026-10-20T09:30", scope="series",
                resized=True)
    assert resp.status_code == 200, resp.content
    appt.refresh_from_db()
    assert {(o.end - o.start) for o in Occurrence.objects.filter(appointment=appt)} == {dt.timedelta(minutes=30)}


def test_delete_with_etag(chef, world):
    appt = f.appointment([world.anna], start=local(2026, 11, 27, 10))
    url = f"/admin/planner/appointments/{appt.pk}/delete/"
    assert post(chef, url, {"etag": "stale"}).status_code == 412
    assert post(chef, url, {"etag": appt.etag}).status_code == 200
    appt.refresh_from_db()
    assert appt.deleted_at is not None


def test_scope_and_permissions(client, world):
    hl_appt = f.appointment([world.other_room], start=local(2026, 11, 27, 10))
    manager = branch_manager(world.branch)
    client.force_login(manager)
    assert client.get("/admin/planner/").status_code == 200
    assert client.get("/admin/planner/feed/", {"branch": world.other_branch.pk, "start": "2026-11-23",
                                               "end": "2026-11-28"}).status_code == 404
    resp = move(client, hl_appt, hl_appt.start, "2026-11-27T11:00", "2026-11-27T12:00")
    assert resp.status_code == 404
    assert create(client, world).status_code == 201
    # a staff user without appointment permissions: no planner
    viewer = f.user("nurlesen", perms=[], is_staff=True)
    client.force_login(viewer)
    assert client.get("/admin/planner/").status_code == 403
    assert create(client, world).status_code == 403
    client.logout()
    assert client.get("/admin/planner/").status_code == 302  # the admin login


def test_only_view_permission_cannot_write(client, world):
    reader = f.user("leser", perms=["view_appointment"], is_staff=True, is_superuser=False)
    world.branch.managers.add(reader)
    client.force_login(reader)
    assert client.get("/admin/planner/").status_code == 200
    assert create(client, world).status_code == 403
    appt = f.appointment([world.anna], start=local(2026, 11, 27, 10))
    assert move(client, appt, appt.start, "2026-11-27T11:00", "2026-11-27T12:00").status_code == 403


def test_instance_of_series_cannot_change_column(chef, world):
    appt = series(world)
    resp = move(chef, appt, local(2026, 10, 20, 9), "2026-10-20T09:00", "2026-10-20T10:00", scope="instance",
                from_resource=world.anna.pk, to_resource=world.ben.pk)
    assert resp.status_code == 400 and resp.json()["field"] == "to_resource"


def test_utc_occurrence_parsing(chef, world):
    appt = series(world)
    occurrence = local(2026, 10, 20, 9).astimezone(UTC)
    resp = move(chef, appt, occurrence, "2026-10-20T10:00", "2026-10-20T11:00", scope="instance")
    assert resp.status_code == 200
