"""``manage.py prunehistory`` (issue 12): entries older than --keep-days (default HISTORY_KEEP_DAYS) go;
the newest entry of every appointment stays, however old."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from scheduler import services
from scheduler.models import Appointment, AppointmentVersion
from tests import factories as f

pytestmark = pytest.mark.django_db


def age(days: int, versions) -> None:
    AppointmentVersion.objects.filter(pk__in=[v.pk for v in versions]).update(
        at=timezone.now() - dt.timedelta(days=days))


def edit(appt: Appointment, title: str) -> None:
    appt = Appointment.objects.get(pk=appt.pk)
    appt.title = title
    services.save_appointment(appt)


def test_old_entries_go_the_newest_per_appointment_stays(world):
    edit(world.appt, "zwei")
    edit(world.appt, "drei")
    quiet = f.appointment([world.room], title="Ruhig", uid="ruhig", start=world.appt.start.replace(hour=15))
    age(400, AppointmentVersion.objects.all())  # everything is old
    recent = f.appointment([world.room], title="Neu", uid="neu", start=world.appt.start.replace(hour=17))
    out = io.StringIO()
    call_command("prunehistory", stdout=out)  # default: 365 days
    assert "2 Einträge entfernt" in out.getvalue()
    assert [v.snapshot["title"] for v in world.versions()] == ["drei"]
    assert quiet.versions.count() == 1 and recent.versions.count() == 1


def test_keep_days_and_the_setting(world, settings):
    edit(world.appt, "zwei")
    first, second = world.versions()
    age(40, [first])
    age(10, [second])
    call_command("prunehistory", keep_days=50, stdout=io.StringIO())
    assert len(world.versions()) == 2
    settings.HISTORY_KEEP_DAYS = 30
    call_command("prunehistory", stdout=io.StringIO())
    assert world.versions() == [second]
    call_command("prunehistory", keep_days=0, stdout=io.StringIO())
    assert world.versions() == [second]  # the newest always stays


def test_negative_keep_days_is_refused(world):
    with pytest.raises(CommandError):
        call_command("prunehistory", keep_days=-1, stdout=io.StringIO())
