"""The scheduler's data: employees, resources (calendars) and appointments.

An appointment's stored iCalendar object (``Appointment.ical``) is the source of
truth for what a phone receives. The modelled columns (title, start, ...) are
derived from it or written into it by ``scheduler.services``; the time-range
columns (``first_start``/``last_end``) are an index over it.

Every change that a calendar client must see is recorded per resource in
``Change`` with a per-resource revision, so sync tokens and ctags are a number.
"""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from branches.models import Branch, Privacy, validate_timezone

color_validator = RegexValidator(r"^#[0-9A-Fa-f]{6}$", _("Farbe als #RRGGBB angeben."))


class Employee(models.Model):
    """A person working in a branch; optionally linked to a login account (seed 3.f)."""

    display_name = models.CharField(_("Name"), max_length=200)
    email = models.EmailField(_("E-Mail"), blank=True)
    phone = models.CharField(_("Telefon"), max_length=50, blank=True)
    mobile = PhoneNumberField(
        _("Mobilnummer"), blank=True,
        help_text=_("Für den Einrichtungslink per SMS; wird im internationalen Format (+49…) gespeichert."),
    )
    branch = models.ForeignKey(
        Branch, verbose_name=_("Stammfiliale"), on_delete=models.PROTECT, related_name="employees",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("Benutzerkonto"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="employee",
    )

    class Meta:
        verbose_name = _("Mitarbeiter")
        verbose_name_plural = _("Mitarbeiter")
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name


class Resource(models.Model):
    """A column of the scheduler and, if sync is allowed, one CalDAV calendar (S1, S2)."""

    class Kind(models.TextChoices):
        PERSON = "person", _("Personenressource")
        LOCATION = "location", _("Ortsressource")

    kind = models.CharField(_("Art"), max_length=10, choices=Kind.choices, default=Kind.PERSON)
    name = models.CharField(_("Name"), max_length=200)
    branch = models.ForeignKey(
        Branch, verbose_name=_("Filiale"), on_delete=models.PROTECT, related_name="resources",
    )
    employee = models.ForeignKey(
        Employee, verbose_name=_("Mitarbeiter"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="resources",
        help_text=_("Nur bei Personenressourcen. Es werden nur eigene Termine übertragen."),
    )
    sync_allowed = models.BooleanField(
        _("Terminsynchronisation erlaubt"), default=False,
        help_text=_("Nur Ressourcen mit dieser Option werden per CalDAV synchronisiert."),
    )
    legacy_calendar_id = models.CharField(
        _("ID (Google-Kalender)"), max_length=255, blank=True,
        help_text=_("Kennung einer früheren Google-Kalender-Verknüpfung. Solange sie gesetzt ist, "
                    "drohen doppelte Termine auf dem Telefon."),
    )
    color = models.CharField(_("Farbe"), max_length=7, default="#3A87AD", validators=[color_validator])
    privacy = models.CharField(
        _("Datenschutz auf Telefonen"), max_length=12, choices=Privacy.choices, blank=True,
        help_text=_("Leer: wie in der Filiale eingestellt. Gilt für Termine, in denen der Mitarbeiter des "
                    "Telefons nicht gebucht ist."),
    )
    active = models.BooleanField(_("aktiv"), default=True)
    slug = models.SlugField(
        _("Kennung"), max_length=64, unique=True, editable=False,
        help_text=_("Stabile Kennung in der CalDAV-Adresse; ändert sich nie."),
    )
    # Per-resource change counter: the newest Change.revision of this resource.
    # Sync tokens and the ctag are derived from it (see caldav_endpoint).
    sync_revision = models.BigIntegerField(_("Änderungsstand"), default=0, editable=False)
    # Changes with a revision up to this one have been pruned from the log; a sync
    # token older than this must be refused (RFC 6578 valid-sync-token).
    sync_floor = models.BigIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("Ressource")
        verbose_name_plural = _("Ressourcen")
        ordering = ["branch__name", "kind", "name"]

    def __str__(self) -> str:
        return self.name

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._stored_slug = self.slug

    def clean(self) -> None:
        if self.kind == self.Kind.LOCATION and self.employee_id:
            raise ValidationError(
                {"employee": _("Eine Ortsressource hat keinen Mitarbeiter.")}
            )

    def save(self, *args, **kwargs) -> None:
        if self._stored_slug and self.slug != self._stored_slug:
            raise ValidationError(_("Die Kennung einer Ressource kann nicht geändert werden."))
        if self.kind == self.Kind.LOCATION and self.employee_id:
            raise ValidationError(_("Eine Ortsressource hat keinen Mitarbeiter."))
        if not self.slug:
            self.slug = self._unique_slug()
        if not self._state.adding and kwargs.get("update_fields") is None:
            # The change counters are the writer's (``scheduler.services._log``, by UPDATE): saving an
            # instance read before a phone's write must not turn them back (sync tokens would repeat).
            kwargs["update_fields"] = [f.name for f in self._meta.concrete_fields
                                       if not f.primary_key and f.name not in ("sync_revision", "sync_floor")]
        super().save(*args, **kwargs)
        self._stored_slug = self.slug

    def _unique_slug(self) -> str:
        base = slugify(self.name)[:50].strip("-") or "ressource"
        slug, n = base, 1
        while Resource.objects.filter(slug=slug).exists():
            n += 1
            slug = f"{base}-{n}"
        return slug


class AppointmentType(models.Model):
    """A kind of appointment of a branch ("Sehtest", "Hörtest"): a colleague's phone sees only this name (V1)."""

    branch = models.ForeignKey(
        Branch, verbose_name=_("Filiale"), on_delete=models.PROTECT, related_name="appointment_types",
    )
    name = models.CharField(_("Name"), max_length=100)
    duration_minutes = models.PositiveIntegerField(_("Standarddauer (Minuten)"), default=30)
    color = models.CharField(_("Farbe"), max_length=7, default="#3A87AD", validators=[color_validator])

    class Meta:
        verbose_name = _("Terminart")
        verbose_name_plural = _("Terminarten")
        ordering = ["branch__name", "name"]
        constraints = [models.UniqueConstraint(fields=["branch", "name"], name="appointment_type_unique_in_branch")]

    def __str__(self) -> str:
        return self.name


class AppointmentQuerySet(models.QuerySet):
    def alive(self):
        return self.filter(deleted_at__isnull=True)

    def overlapping(self, start, end):
        """Candidates with an occurrence possibly in [start, end): the time-range index."""
        return self.filter(overlap_q(start, end))


def overlap_q(start, end, prefix: str = "") -> models.Q:
    q = models.Q()
    if end is not None:
        q &= models.Q(**{f"{prefix}first_start__lt": end})
    if start is not None:
        q &= models.Q(**{f"{prefix}last_end__isnull": True}) | models.Q(**{f"{prefix}last_end__gt": start})
    return q


def _overlap_branches(start, end, early=None) -> list[models.Q]:
    """"Overlaps [start, end)" (RFC 4791 §9.9: an instance of no length at ``start`` does) for the
    occurrences up to ``Occurrence.LONG`` and for the longer ones, each a range of its own index.

    A short occurrence starts at most ``LONG`` before the range: its rows are a short range of the time
    index, and each branch holds both bounds of ``start``, so the planner sees a range it can estimate.
    Asked as "start before the end, end after the start" alone, PostgreSQL expected half the table
    and read every appointment (issue 13: the week query). ``early``: ``start - LONG``, when the caller
    has it as a value of its own (``compiled_query``)."""
    before_end = models.Q(start__lt=end) if end is not None else models.Q()
    if start is None:
        return [before_end]
    touches = models.Q(end__gt=start) | models.Q(end=models.F("start"), start__gte=start)
    early = early if early is not None else start - Occurrence.LONG
    return [models.Q(is_long=False, start__gte=early) & before_end & touches,
            models.Q(is_long=True, end__gt=start) & before_end]


def occurrences_in(start, end) -> models.QuerySet:
    """Occurrence rows that overlap [start, end) (``_overlap_branches``)."""
    short, *long = _overlap_branches(start, end)
    return Occurrence.objects.filter(short | long[0] if long else short)


def appointments_occurring(start, end, early=None) -> models.QuerySet:
    """The ids of appointments with an occurrence in [start, end), for ``appointment_id__in``: one
    index range per branch, joined with UNION ALL (within one OR, PostgreSQL estimated the branches
    together at a tenth of the table and chose to read all appointments)."""
    short, *long = (Occurrence.objects.filter(q).values("appointment_id")
                    for q in _overlap_branches(start, end, early))
    return short.union(*long, all=True) if long else short


def occurrence_annotations(start, end, prefix: str = "") -> dict:
    """RFC 4791 §9.9 overlap against the occurrence table, as SQL (no iCalendar parsing)."""
    ref = models.OuterRef(f"{prefix}pk" if prefix else "pk")
    inst = occurrences_in(start, end).filter(appointment=ref)
    known = models.Q(**{f"{prefix}occurrences_until__isnull": True})
    if end is not None:
        known |= models.Q(**{f"{prefix}occurrences_until__gte": end})
    return {"occurs": models.Exists(inst),
            "occurs_known": models.ExpressionWrapper(known, output_field=models.BooleanField())}


class Appointment(models.Model):
    """One iCalendar object (a VEVENT with its overridden instances), booking 1..n resources (S6)."""

    class Status(models.TextChoices):
        CONFIRMED = "CONFIRMED", _("bestätigt")
        TENTATIVE = "TENTATIVE", _("vorläufig")
        CANCELLED = "CANCELLED", _("abgesagt")

    class Source(models.TextChoices):
        SCHEDULER = "scheduler", _("Terminplaner")
        PHONE = "phone", _("Telefon (CalDAV)")
        API = "api", _("REST-API")
        IMPORT = "import", _("Import")

    uid = models.CharField(_("UID"), max_length=255, db_index=True, editable=False)
    branch = models.ForeignKey(
        Branch, verbose_name=_("Filiale"), on_delete=models.PROTECT, related_name="appointments",
    )
    resources = models.ManyToManyField(
        Resource, through="Booking", verbose_name=_("Ressourcen"), related_name="appointments",
    )
    title = models.CharField(
        _("Titel"), max_length=255, blank=True,
        help_text=_("Leer: „Terminart – Kunde“."),
    )
    appointment_type = models.ForeignKey(
        AppointmentType, verbose_name=_("Terminart"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="appointments",
    )
    # V1: customer data is health data here; phones of colleagues never receive it (scheduler.redaction).
    customer_name = models.CharField(_("Kunde"), max_length=200, blank=True)
    customer_phone = models.CharField(_("Telefon des Kunden"), max_length=50, blank=True)
    customer_number = models.CharField(_("Kundennummer"), max_length=50, blank=True)
    notes = models.TextField(_("Notizen"), blank=True)
    place = models.CharField(_("Ort"), max_length=255, blank=True)
    status = models.CharField(
        _("Status"), max_length=10, choices=Status.choices, default=Status.CONFIRMED,
    )
    all_day = models.BooleanField(_("ganztägig"), default=False)
    start = models.DateTimeField(_("Beginn"))
    end = models.DateTimeField(_("Ende"))
    timezone = models.CharField(
        _("Zeitzone"), max_length=64, default="Europe/Berlin", validators=[validate_timezone],
    )
    rrule = models.CharField(
        _("Wiederholung (RRULE)"), max_length=500, blank=True,
        help_text=_("z. B. FREQ=WEEKLY;BYDAY=TU;COUNT=10"),
    )
    source = models.CharField(
        _("Herkunft"), max_length=10, choices=Source.choices, default=Source.SCHEDULER, editable=False,
    )
    ical = models.TextField(_("iCalendar-Objekt"), editable=False)
    etag = models.CharField(_("ETag"), max_length=64, editable=False)
    # V1: the object as a colleague's phone receives it, per privacy level, written with ``ical``
    # (scheduler.redaction), so listings and GETs serve them without per-object work.
    ical_no_customer = models.TextField(editable=False, default="")
    etag_no_customer = models.CharField(max_length=64, editable=False, default="")
    ical_busy = models.TextField(editable=False, default="")
    etag_busy = models.CharField(max_length=64, editable=False, default="")
    size = models.PositiveIntegerField(_("Größe (Bytes)"), default=0, editable=False)
    # Time-range index (UTC): first occurrence start, last occurrence end (NULL = unbounded RRULE).
    first_start = models.DateTimeField(_("erstes Vorkommen"), editable=False)
    last_end = models.DateTimeField(_("letztes Ende"), null=True, blank=True, editable=False)
    # Occurrence rows cover every instance up to this instant; NULL = all of them.
    occurrences_until = models.DateTimeField(null=True, blank=True, editable=False)
    # Does the stored object carry a VALARM? A calendar-query that asks for alarms (RFC 4791 §9.9)
    # expands only these candidates instead of every object of the calendar.
    has_alarm = models.BooleanField(default=False, editable=False)
    created = models.DateTimeField(_("angelegt"), auto_now_add=True)
    modified = models.DateTimeField(_("geändert"), auto_now=True)
    deleted_at = models.DateTimeField(_("gelöscht am"), null=True, blank=True, editable=False)
    # P2: the last write double-booked a resource and the branch's policy accepted it (or an admin confirmed).
    has_conflict = models.BooleanField(_("Doppelbuchung"), default=False, editable=False)
    # Who wrote last: a login's username or a service credential ("phone: anna-phone").
    changed_by = models.CharField(_("zuletzt geändert von"), max_length=150, blank=True, editable=False)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("Termin")
        verbose_name_plural = _("Termine")
        ordering = ["-start"]
        permissions = [("view_customer_data", _("Kundendaten sehen"))]
        indexes = [
            models.Index(fields=["first_start", "last_end"], name="appt_time_range"),
            models.Index(fields=["last_end"], name="appt_last_end"),
            # the endless series whose occurrence rows stop at a horizon (a time-range query past it expands
            # them): few, found without reading every appointment
            models.Index(fields=["occurrences_until"], condition=models.Q(occurrences_until__isnull=False),
                         name="appt_occurrences_until"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_recurring(self) -> bool:
        return bool(self.rrule) or "RECURRENCE-ID" in self.ical or "RDATE" in self.ical


# V1: who may see an appointment's customer (admin, REST API); phones never get it for colleagues' appointments.
VIEW_CUSTOMER_DATA = "scheduler.view_customer_data"
CUSTOMER_FIELDS = ("customer_name", "customer_phone", "customer_number")


class Occurrence(models.Model):
    """One instance of an appointment (UTC), so time-range queries need no iCalendar parsing.

    Rewritten by ``scheduler.services`` on every save, from the same expansion
    as the index columns; an endless series is stored up to ``occurrences_until``.
    """

    # An occurrence up to this long is found by the time index from its start alone (``contract.find_conflicts``).
    LONG = dt.timedelta(days=1)

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="occurrences")
    start = models.DateTimeField()
    end = models.DateTimeField()
    # Longer than ``LONG`` (a timed appointment over days): asked for separately, so that for all the
    # others "overlaps [s, e)" is a short range of the time index: start in [s - LONG, e).
    is_long = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("Vorkommen")
        verbose_name_plural = _("Vorkommen")
        indexes = [
            models.Index(fields=["appointment", "start", "end"], name="occurrence_by_appt"),
            models.Index(fields=["start", "end"], name="occurrence_by_time"),
            models.Index(fields=["start", "end"], condition=models.Q(is_long=True), name="occurrence_long"),
        ]

    @classmethod
    def of(cls, appointment: Appointment, start, end) -> Occurrence:
        return cls(appointment=appointment, start=start, end=end, is_long=end - start > cls.LONG)


class BookingQuerySet(models.QuerySet):
    def active(self):
        """Bookings a calendar shows: neither the booking nor the appointment is deleted."""
        return self.filter(deleted_at__isnull=True, appointment__deleted_at__isnull=True)


class Booking(models.Model):
    """An appointment in one resource's calendar, under an object name (``<name>`` in the href).

    The name is chosen by the client that created the object (RFC 4791 lets it),
    or ``<uid>.ics`` for appointments made elsewhere. A booking removed from a
    phone is only marked deleted (S7).
    """

    appointment = models.ForeignKey(
        Appointment, verbose_name=_("Termin"), on_delete=models.CASCADE, related_name="bookings",
    )
    resource = models.ForeignKey(
        Resource, verbose_name=_("Ressource"), on_delete=models.PROTECT, related_name="bookings",
    )
    name = models.CharField(_("Objektname"), max_length=255)
    # The appointment's UID, repeated here so the database can hold "one UID per calendar" (RFC 4791 §4.1).
    uid = models.CharField(_("UID"), max_length=255, default="", editable=False)
    # Set when the booking leaves its calendar, and to the appointment's deletion instant when that is deleted.
    deleted_at = models.DateTimeField(_("entfernt am"), null=True, blank=True)

    objects = BookingQuerySet.as_manager()

    class Meta:
        verbose_name = _("Buchung")
        verbose_name_plural = _("Buchungen")
        constraints = [
            models.UniqueConstraint(fields=["resource", "appointment"], name="booking_once_per_resource"),
            models.UniqueConstraint(
                fields=["resource", "name"], condition=models.Q(deleted_at__isnull=True),
                name="booking_name_unique_in_calendar",
            ),
            models.UniqueConstraint(
                fields=["resource", "uid"], condition=models.Q(deleted_at__isnull=True),
                name="booking_uid_unique_in_calendar",
            ),
        ]
        indexes = [
            # A multiget's names (``selectors.object_rows``) answered from the index alone: with the
            # appointment beside the name, PostgreSQL probes it for 100 names (an index-only scan)
            # where, on the unique (resource, name) index, it preferred reading every booking (issue 13).
            models.Index(fields=["resource", "name", "appointment"], condition=models.Q(deleted_at__isnull=True),
                         name="booking_name_lookup"),
        ]

    def __str__(self) -> str:
        return f"{self.resource} / {self.name}"


def object_name_for_uid(uid: str) -> str:
    """A safe default object name for a UID (hrefs must be path segments)."""
    safe = re.sub(r"[^A-Za-z0-9@._-]", "_", uid)[:200]
    return f"{safe}.ics"


class Change(models.Model):
    """One entry of a resource's change log: the basis of sync-collection (RFC 6578)."""

    class Op(models.TextChoices):
        CREATED = "created", _("angelegt")
        MODIFIED = "modified", _("geändert")
        DELETED = "deleted", _("gelöscht")

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="changes")
    revision = models.BigIntegerField()
    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="changes")
    name = models.CharField(max_length=255)
    op = models.CharField(max_length=10, choices=Op.choices)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Änderung")
        verbose_name_plural = _("Änderungsprotokoll")
        ordering = ["resource", "revision"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "revision"], name="change_revision_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.resource_id}@{self.revision} {self.op} {self.name}"


class Door(models.TextChoices):
    """Through which door a write came in (who changed what, issue 12)."""

    ADMIN = "admin", _("Verwaltung")
    PLANNER = "planner", _("Terminplaner")
    API = "api", _("REST-API")
    PHONE = "phone", _("Telefon (CalDAV)")
    IMPORT = "import", _("Import")
    SYSTEM = "system", _("System")


class AppointmentVersion(models.Model):
    """One entry of an appointment's history: who wrote it through which door, what changed, and the result.

    Written by ``scheduler.services`` in the transaction of the write itself (``scheduler.history``
    builds the rows). ``snapshot`` is the appointment *after* the write (the stored iCalendar
    object, the booked resources, the modelled customer and type), enough to write that version
    back through the writer; ``changes`` is the field-level difference to the version before.
    Both hold customer data, so they are shown only as the appointment itself is (V1).
    """

    class Action(models.TextChoices):
        CREATED = "created", _("angelegt")
        CHANGED = "changed", _("geändert")
        DELETED = "deleted", _("gelöscht")
        RESTORED = "restored", _("wiederhergestellt")

    appointment = models.ForeignKey(
        Appointment, verbose_name=_("Termin"), on_delete=models.CASCADE, related_name="versions",
    )
    at = models.DateTimeField(_("Zeit"), db_index=True)
    action = models.CharField(_("Aktion"), max_length=10, choices=Action.choices)
    door = models.CharField(_("Weg"), max_length=10, choices=Door.choices, default=Door.SYSTEM)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("Benutzer"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    credential = models.ForeignKey(
        "servicecreds.ServiceCredential", verbose_name=_("Servicezugang"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    # The name as it was at the write: still readable after the login or credential is deleted.
    actor_name = models.CharField(_("Wer"), max_length=150, blank=True)
    device = models.CharField(_("Gerät"), max_length=300, blank=True)
    changes = models.JSONField(_("Änderungen"), default=list)
    snapshot = models.JSONField(_("Fassung"), default=dict)
    # The version this one was restored from, if it was a "Diese Version wiederherstellen".
    restored_from = models.ForeignKey(
        "self", verbose_name=_("wiederhergestellt aus"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("Terminversion")
        verbose_name_plural = _("Änderungsverlauf")
        ordering = ["appointment", "pk"]
        indexes = [models.Index(fields=["appointment", "at"], name="version_by_appt")]

    def __str__(self) -> str:
        return f"{self.appointment_id}#{self.pk} {self.action} {self.door}"
