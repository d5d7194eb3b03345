"""Demo data: two branches, employees with logins, resources, ~200 appointments, credentials.

Idempotent: every object is looked up by a natural key first; appointments by
their UID. Passwords are only set on accounts that have none, unless
``--password`` is given.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
import zoneinfo
from pathlib import Path

import icalendar
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from branches.models import Branch
from branches.scope import manager_group
from scheduler import ical, services
from scheduler.models import Appointment, AppointmentType, Employee, Resource
from servicecreds.models import ServiceCredential

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
PASSWORD_FILE = Path(settings.BASE_DIR) / "var" / "demo-password.txt"
TITLES = ["Sehtest", "Brillenberatung", "Kontaktlinsen-Anpassung", "Hörtest", "Hörgeräte-Anpassung",
          "Nachkontrolle", "Abholung Brille", "Reparatur", "Beratung Gleitsichtgläser", "Teambesprechung"]
# Appointment types (V1) with their default minutes; a colleague's phone sees only these names.
TYPES = {"Sehtest": 30, "Brillenberatung": 45, "Kontaktlinsen-Anpassung": 45, "Hörtest": 45,
         "Hörgeräte-Anpassung": 60, "Nachkontrolle": 30}
CUSTOMERS = ["Erika Mustermann", "Max Mustermann", "Hans Meier", "Petra Schmidt", "Jürgen Krause", "Aylin Demir"]


class Command(BaseCommand):
    help = "Lädt Demodaten (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--password", help="Passwort für alle Demo-Konten (sonst einmalig erzeugt)")

    def handle(self, *args, password=None, **options):
        self.forced = password is not None
        self.kept_other_password = False
        if self.forced:
            self._remember(password)
        self.password = password or self._stored_or_new_password()
        with transaction.atomic():
            self._load()
        self._print_logins()

    # --- passwords -------------------------------------------------------------------------
    def _stored_or_new_password(self) -> str:
        if PASSWORD_FILE.exists():
            return PASSWORD_FILE.read_text().strip()
        pw = secrets.token_urlsafe(9)
        self._remember(pw)
        return pw

    def _remember(self, pw: str) -> None:
        """Keep the demo password in var/ (git-ignored, mode 600) so `make run` can show it again."""
        PASSWORD_FILE.parent.mkdir(exist_ok=True)
        PASSWORD_FILE.write_text(pw + "\n")
        PASSWORD_FILE.chmod(0o600)

    def _user(self, username, *, first="", last="", email="", superuser=False, group=None):
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": email,
                      "is_staff": superuser, "is_superuser": superuser})
        if created or self.forced or not user.has_usable_password():
            user.set_password(self.password)
            user.save()
        elif not user.check_password(self.password):
            self.kept_other_password = True
        if group:
            user.groups.add(group)
        return user

    def _credential(self, username, user, branch, *, confirmed=True, valid_until=None):
        cred, created = ServiceCredential.objects.get_or_create(
            username=username,
            defaults={"user": user, "branch": branch, "confirmed": confirmed, "valid_until": valid_until})
        if created or self.forced or not cred.has_password:
            cred.set_password(self.password)
            cred.save()
        return cred

    # --- data --------------------------------------------------------------------------------
    def _load(self):
        hh, _ = Branch.objects.get_or_create(code="hh", defaults={"name": "Hamburg Mitte"})
        hl, _ = Branch.objects.get_or_create(code="hl", defaults={"name": "Lübeck Altstadt"})

        staff = self._group("Terminplaner Mitarbeiter",
                            ["add_appointment", "change_appointment", "delete_appointment", "view_appointment",
                             "view_customer_data"])
        readonly = self._group("Terminplaner nur lesen", ["view_appointment"])

        self.admin = self._user("admin", email="admin@example.com", superuser=True)
        # B1: Hamburg's branch manager administers only Hamburg (admin and REST API).
        manager = self._user("leitung-hh", first="Leitung", last="Hamburg", email="leitung-hh@example.com",
                             group=manager_group())
        if not manager.is_staff:
            manager.is_staff = True
            manager.save(update_fields=["is_staff"])
        hh.managers.add(manager)
        people = []
        for username, first, last, branch in [("anna", "Anna", "Becker", hh), ("ben", "Ben", "Schulz", hh),
                                              ("clara", "Clara", "Wolf", hl)]:
            user = self._user(username, first=first, last=last, email=f"{username}@example.com", group=staff)
            emp, _ = Employee.objects.get_or_create(
                user=user, defaults={"display_name": f"{first} {last}", "email": user.email, "branch": branch})
            res = self._resource(f"{first} {last}", branch, Resource.Kind.PERSON, employee=emp, sync=True)
            people.append((user, emp, res, branch))
        self._resource("Aushilfe (unbesetzt)", hh, Resource.Kind.PERSON, sync=True)
        rooms = [self._resource("Refraktionsraum", hh, Resource.Kind.LOCATION, sync=True, color="#2E8B57"),
                 self._resource("Hörkabine", hh, Resource.Kind.LOCATION, sync=True, color="#8A2BE2"),
                 self._resource("Werkstatt", hh, Resource.Kind.LOCATION, sync=False, color="#A0522D")]
        ben_res = people[1][2]
        if not ben_res.legacy_calendar_id and not Resource.objects.filter(legacy_calendar_id__gt="").exists():
            ben_res.legacy_calendar_id = "ben.schulz.optik@gmail.com"
            ben_res.save()

        # Technical employee and read-only user for the rooms (seed 3.f note).
        tech_user = self._user("raum-hh", first="Raum", last="Hamburg", group=readonly)
        Employee.objects.get_or_create(user=tech_user, defaults={"display_name": "Räume Hamburg (technisch)",
                                                                 "branch": hh})
        for user, _emp, _res, branch in people:
            self._credential(f"{user.username}-caldav", user, branch)
        self._credential("raum-hh-caldav", tech_user, hh)
        self._credential("ben-ipad", people[1][0], hh, confirmed=False)
        self._credential("anna-alt", people[0][0], hh,
                         valid_until=timezone.localdate() - dt.timedelta(days=30))

        self._appointments(people, rooms)

    def _group(self, name, codenames):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(Permission.objects.filter(content_type__app_label="scheduler",
                                                        codename__in=codenames))
        return group

    def _resource(self, name, branch, kind, *, employee=None, sync=False, color="#3A87AD"):
        res = Resource.objects.filter(name=name, branch=branch).first()
        if res is None:
            res = Resource(name=name, branch=branch, kind=kind, employee=employee, sync_allowed=sync, color=color)
            res.save()
        return res

    def _appointments(self, people, rooms):
        rng = random.Random(4711)
        today = timezone.localdate()
        month_start = today.replace(day=1)
        existing = set(Appointment.objects.filter(uid__endswith="@demo.terminsync").values_list("uid", flat=True))
        for i in range(190):
            uid = f"demo-{i:03d}@demo.terminsync"
            user, emp, res, branch = people[i % 3]
            day = month_start + dt.timedelta(days=rng.randrange(-20, 50))
            if uid in existing:
                continue
            booked = [res]
            if branch.code == "hh" and i % 4 == 0:
                booked.append(rooms[(i // 4) % 2])
            title = rng.choice(TITLES)
            if i % 17 == 0:
                start = dt.datetime.combine(day, dt.time(0), tzinfo=BERLIN)
                fields = {"all_day": True, "start": start, "end": start + dt.timedelta(days=1 + i % 2),
                          "title": "Urlaub" if i % 2 else "Inventur"}
            else:
                start = dt.datetime.combine(day, dt.time(8 + rng.randrange(0, 9), rng.choice([0, 15, 30, 45])),
                                            tzinfo=BERLIN)
                fields = {"start": start, "end": start + dt.timedelta(minutes=rng.choice([30, 45, 60, 90])),
                          "title": title}
                if title in TYPES:  # a customer's appointment: titled "type – customer" by the writer
                    fields.update(title="", appointment_type=self._type(branch, title), customer_name=CUSTOMERS[i % 6],
                                  customer_number=f"K-{10000 + i}")
            services.create_appointment(branch=branch, resources=booked, uid=uid, timezone="Europe/Berlin",
                                        place=booked[-1].name if len(booked) > 1 else "", **fields)
        # Weekly series across the autumn DST change, with an exception and a moved instance.
        for n, (_user, _emp, res, branch) in enumerate(people):
            uid = f"demo-series-{n}@demo.terminsync"
            if uid in existing:
                continue
            services.create_appointment(branch=branch, resources=[res] + ([rooms[0]] if n == 0 else []),
                                        ical_text=self._series(uid, today, n), timezone="Europe/Berlin")

    def _type(self, branch, name):
        return AppointmentType.objects.get_or_create(branch=branch, name=name,
                                                     defaults={"duration_minutes": TYPES[name]})[0]

    def _series(self, uid: str, today: dt.date, n: int) -> str:
        """A weekly series from early October to after New Year (crosses the last Sunday of October)."""
        first = dt.date(today.year if today.month >= 10 else today.year - 1, 10, 1)
        first += dt.timedelta(days=(1 + n - first.weekday()) % 7)  # a Tuesday/Wednesday/Thursday
        start = dt.datetime.combine(first, dt.time(9 + n, 0), tzinfo=BERLIN)
        cal = icalendar.Calendar()
        cal.add("PRODID", "-//Terminsync//Demo//DE")
        cal.add("VERSION", "2.0")
        master = icalendar.Event()
        master.add("UID", uid)
        master.add("DTSTAMP", dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
        master.add("SUMMARY", ["Wöchentliche Teamrunde", "Werkstatt-Sprechstunde", "Filial-Jour-fixe"][n])
        master.add("DTSTART", start)
        master.add("DTEND", start + dt.timedelta(hours=1))
        master.add("RRULE", {"FREQ": "WEEKLY", "COUNT": 16})
        master.add("EXDATE", start + dt.timedelta(weeks=3))
        alarm = icalendar.Alarm()
        alarm.add("ACTION", "DISPLAY")
        alarm.add("DESCRIPTION", "Erinnerung")
        alarm.add("TRIGGER", dt.timedelta(minutes=-15))
        master.add_component(alarm)
        cal.add_component(master)
        moved = icalendar.Event()
        moved.add("UID", uid)
        moved.add("DTSTAMP", dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
        moved.add("RECURRENCE-ID", start + dt.timedelta(weeks=5))
        moved.add("SUMMARY", master["SUMMARY"] + " (verschoben)")
        moved.add("DTSTART", start + dt.timedelta(weeks=5, days=1, hours=2))
        moved.add("DTEND", start + dt.timedelta(weeks=5, days=1, hours=3))
        cal.add_component(moved)
        ical.ensure_timezones(cal)
        return cal.to_ical().decode()

    def _print_logins(self):
        base = getattr(settings, "TERMINSYNC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
        pw = self.password
        if self.kept_other_password:
            pw = "(unverändertes Passwort; neu setzen mit: manage.py loaddemo --password …)"
        self.stdout.write(self.style.SUCCESS("Demodaten geladen."))
        self.stdout.write(f"  Admin:       {base}/admin/    admin / {pw}")
        self.stdout.write(f"               leitung-hh / {pw}  (Filialleitung, nur Hamburg)")
        self.stdout.write(f"  Mein Konto:  {base}/account/  anna | ben | clara / {pw}")
        self.stdout.write(f"  CalDAV:      {base}/.well-known/caldav  (oder {base}/caldav/)")
        self.stdout.write(f"               anna-caldav | ben-caldav | clara-caldav | raum-hh-caldav / {pw}")
        self.stdout.write("               (ben-ipad: nicht bestätigt, anna-alt: abgelaufen)")
        self.stdout.write(f"  REST-API:    {base}/api/  admin | leitung-hh (Mitarbeiter: keine API)")
