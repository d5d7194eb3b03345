"""loaddemo is idempotent and never overwrites passwords unless asked (issue 2)."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from scheduler.management.commands import loaddemo
from scheduler.models import Appointment, Booking, Change, Resource
from servicecreds.models import ServiceCredential

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    """loaddemo hashes a dozen passwords; the slow default hasher is tested elsewhere."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def password_file(tmp_path, monkeypatch):
    monkeypatch.setattr(loaddemo, "PASSWORD_FILE", tmp_path / "demo-password.txt")
    return tmp_path / "demo-password.txt"


def counts():
    return [m.objects.count() for m in (Appointment, Booking, Change, Resource, ServiceCredential)]


def test_loaddemo_is_idempotent_and_complete(password_file):
    call_command("loaddemo", password="Demo-Passwort-42")
    first = counts()
    call_command("loaddemo")
    assert counts() == first
    assert 180 <= Appointment.objects.count() <= 220
    assert Resource.objects.filter(kind="location", sync_allowed=True).count() == 2
    assert Resource.objects.filter(kind="location", sync_allowed=False).count() == 1
    assert Resource.objects.filter(kind="person", employee__isnull=True).exists()
    assert Resource.objects.exclude(legacy_calendar_id="").count() == 1
    assert Appointment.objects.filter(all_day=True).exists()
    series = Appointment.objects.exclude(rrule="")
    assert series.exists() and all("RECURRENCE-ID" in a.ical and "EXDATE" in a.ical for a in series)
    assert any(a.bookings.count() == 2 for a in Appointment.objects.prefetch_related("bookings"))
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.check_password("Demo-Passwort-42")
    assert ServiceCredential.objects.get(username="anna-caldav").check_password("Demo-Passwort-42")


def test_rerun_without_password_keeps_existing_password(password_file):
    call_command("loaddemo", password="Erstes-Passwort-1")
    password_file.unlink()
    call_command("loaddemo")
    assert get_user_model().objects.get(username="anna").check_password("Erstes-Passwort-1")
    call_command("loaddemo", password="Zweites-Passwort-2")
    assert get_user_model().objects.get(username="anna").check_password("Zweites-Passwort-2")


def test_generated_password_is_printed_and_remembered(password_file, capsys):
    call_command("loaddemo")
    pw = password_file.read_text().strip()
    assert pw and pw in capsys.readouterr().out
    assert get_user_model().objects.get(username="admin").check_password(pw)
