"""Resource rules, appointment validation and the time-range index (S1, S2, S6)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from scheduler import contract, services
from scheduler.exceptions import InvalidResources, InvalidTimes
from scheduler.models import Appointment, Resource
from tests import factories as f

pytestmark = pytest.mark.django_db
UTC = dt.timezone.utc


# S1: a location resource never has an employee.
def test_location_resource_refuses_employee():
    emp = f.employee()
    res = Resource(name="Raum 1", branch=emp.branch, kind=Resource.Kind.LOCATION, employee=emp)
    with pytest.raises(ValidationError) as exc:
        res.full_clean()
    assert "employee" in exc.value.message_dict
    with pytest.raises(ValidationError):
        res.save()
    assert not Resource.objects.filter(name="Raum 1").exists()


def test_person_resource_accepts_employee_and_none():
    emp = f.employee()
    f.resource(employee=emp).full_clean()
    f.resource(emp.branch, employee=None).full_clean()


def test_slug_is_stable_across_renames_and_cannot_change():
    res = f.resource(name="Anna Müller")
    assert res.slug == "anna-muller"
    res.name = "Anna Schmidt"
    res.save()
    res.refresh_from_db()
    assert res.slug == "anna-muller"
    res.slug = "other"
    with pytest.raises(ValidationError):
        res.save()
    assert Resource.objects.get(pk=res.pk).slug == "anna-muller"


def test_slugs_are_unique():
    a, b = f.resource(name="Raum"), f.resource(name="Raum")
    assert a.slug != b.slug


def test_validation_end_after_start_and_at_least_one_resource():
    # S6: the contract, not a form, holds these rules (scheduler.contract)
    res = f.room()
    start = dt.datetime(2026, 5, 1, 10, tzinfo=UTC)
    with pytest.raises(InvalidTimes) as exc:
        contract.normalise_times(start=start, end=start - dt.timedelta(hours=1), all_day=False, tzname="UTC")
    assert exc.value.field == "end"
    with pytest.raises(InvalidResources) as exc:
        contract.check_resources(res.branch, [])
    assert exc.value.field == "resources"
    res.active = False
    with pytest.raises(InvalidResources):
        contract.check_resources(res.branch, [res])


def test_invalid_appointment_stores_nothing():
    res = f.room()
    start = dt.datetime(2026, 5, 1, 10, tzinfo=UTC)
    with pytest.raises(InvalidTimes):
        f.appointment([res], start=start, end=start - dt.timedelta(minutes=5))
    assert Appointment.objects.count() == 0
    assert res.changes.count() == 0


# Time-range index: single, all-day, bounded and unbounded recurring.
def test_index_single():
    appt = f.appointment([f.room()], start=dt.datetime(2026, 3, 2, 9, tzinfo=f.BERLIN), minutes=45)
    assert appt.first_start == dt.datetime(2026, 3, 2, 8, tzinfo=UTC)
    assert appt.last_end == dt.datetime(2026, 3, 2, 8, 45, tzinfo=UTC)


def test_index_all_day_uses_local_midnight():
    start = dt.datetime(2026, 7, 10, tzinfo=f.BERLIN)
    appt = f.appointment([f.room()], start=start, end=start + dt.timedelta(days=2), all_day=True)
    assert appt.first_start == dt.datetime(2026, 7, 9, 22, tzinfo=UTC)
    assert appt.last_end == dt.datetime(2026, 7, 11, 22, tzinfo=UTC)
    assert "DTSTART;VALUE=DATE:20260710" in appt.ical
    assert "DTEND;VALUE=DATE:20260712" in appt.ical


def test_index_bounded_recurring_across_dst():
    # Weekly Tuesdays 10:00 Berlin from 2026-03-17, 4 times: crosses the spring DST change (03-29).
    appt = f.appointment([f.room()], start=dt.datetime(2026, 3, 17, 10, tzinfo=f.BERLIN),
                         rrule="FREQ=WEEKLY;COUNT=4")
    assert appt.first_start == dt.datetime(2026, 3, 17, 9, tzinfo=UTC)
    assert appt.last_end == dt.datetime(2026, 4, 7, 9, tzinfo=UTC)  # 11:00 CEST


def test_index_until_in_utc():
    appt = f.appointment([f.room()], start=dt.datetime(2026, 1, 5, 8, tzinfo=f.BERLIN),
                         rrule="FREQ=DAILY;UNTIL=20260108T070000Z")
    assert appt.last_end == dt.datetime(2026, 1, 8, 8, tzinfo=UTC)


def test_index_unbounded_recurring_is_open():
    appt = f.appointment([f.room()], start=dt.datetime(2026, 3, 17, 10, tzinfo=f.BERLIN),
                         rrule="FREQ=WEEKLY")
    assert appt.first_start == dt.datetime(2026, 3, 17, 9, tzinfo=UTC)
    assert appt.last_end is None
    far = dt.datetime(2040, 1, 1, tzinfo=UTC)
    assert appt in Appointment.objects.overlapping(far, far + dt.timedelta(days=7))


def test_index_follows_edits_and_override_moved_later():
    res = f.room()
    ical_text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        "BEGIN:VEVENT\r\nUID:ov-1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260105T090000Z\r\n"
        "DTEND:20260105T100000Z\r\nRRULE:FREQ=DAILY;COUNT=3\r\nSUMMARY:Serie\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:ov-1\r\nDTSTAMP:20260101T000000Z\r\nRECURRENCE-ID:20260107T090000Z\r\n"
        "DTSTART:20260120T090000Z\r\nDTEND:20260120T100000Z\r\nSUMMARY:verschoben\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n")
    appt = services.create_appointment(branch=res.branch, resources=[res], ical_text=ical_text)
    assert appt.first_start == dt.datetime(2026, 1, 5, 9, tzinfo=UTC)
    assert appt.last_end == dt.datetime(2026, 1, 20, 10, tzinfo=UTC)
    appt.start = dt.datetime(2026, 1, 6, 9, tzinfo=UTC)
    appt.end = dt.datetime(2026, 1, 6, 10, tzinfo=UTC)
    services.save_appointment(appt)
    appt.refresh_from_db()
    assert appt.first_start == dt.datetime(2026, 1, 6, 9, tzinfo=UTC)
