"""Service credentials (Servicezugangsdaten): the login a phone uses for CalDAV (seed step 3)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branches.models import Branch


class ServiceCredential(models.Model):
    class AccessType(models.TextChoices):
        INDIVIDUAL = "individual", _("individueller Benutzer/Passwort")

    class ServiceClass(models.TextChoices):
        CALDAV = "caldav", _("CalDAV Terminsynchronisation")

    access_type = models.CharField(
        _("Zugangsart"), max_length=20, choices=AccessType.choices, default=AccessType.INDIVIDUAL,
    )
    username = models.CharField(
        _("Benutzername"), max_length=150,
        help_text=_("Wird für das Konto auf dem Telefon benötigt. Kann nach dem ersten Speichern "
                    "nicht mehr geändert werden."),
    )
    valid_from = models.DateField(_("gültig ab"), null=True, blank=True)
    valid_until = models.DateField(_("gültig bis"), null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("Benutzerkonto"), on_delete=models.CASCADE,
        related_name="service_credentials",
    )
    branch = models.ForeignKey(
        Branch, verbose_name=_("Filiale"), on_delete=models.PROTECT, related_name="service_credentials",
        help_text=_("Filiale, in der der Mitarbeiter hauptsächlich arbeitet. Auf dem Telefon neu "
                    "angelegte Termine werden ihr zugeordnet."),
    )
    service_class = models.CharField(
        _("Serviceklasse"), max_length=20, choices=ServiceClass.choices, default=ServiceClass.CALDAV,
    )
    confirmed = models.BooleanField(
        _("Bestätigt"), default=False,
        help_text=_("Ohne Bestätigung kann der Benutzer den Dienst nicht nutzen."),
    )
    password = models.CharField(_("Passwort (Hash)"), max_length=128, blank=True, editable=False)
    password_set_at = models.DateTimeField(_("Passwort gesetzt am"), null=True, blank=True, editable=False)
    password_set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("Passwort gesetzt von"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+", editable=False,
    )
    created = models.DateTimeField(_("angelegt"), auto_now_add=True)
    modified = models.DateTimeField(_("geändert"), auto_now=True)
    last_used_at = models.DateTimeField(_("zuletzt genutzt"), null=True, blank=True, editable=False)
    last_user_agent = models.CharField(_("zuletzt genutzt von"), max_length=300, blank=True, editable=False)

    class Meta:
        verbose_name = _("Servicezugangsdaten")
        verbose_name_plural = _("Servicezugangsdaten")
        ordering = ["username"]
        constraints = [
            models.UniqueConstraint(Lower("username"), name="servicecred_username_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(valid_from__isnull=True) | models.Q(valid_until__isnull=True)
                | models.Q(valid_from__lte=models.F("valid_until")),
                name="servicecred_valid_window",
            ),
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._stored_username = self.username if self.pk else None

    def __str__(self) -> str:
        return self.username

    # C3: the username is fixed once saved, whatever path tries to change it.
    def clean(self) -> None:
        errors = {}
        if self._stored_username is not None and self.username != self._stored_username:
            errors["username"] = _("Der Benutzername kann nach dem ersten Speichern nicht geändert "
                                   "werden. Bitte den Eintrag löschen und neu anlegen.")
        if self.valid_from and self.valid_until and self.valid_from > self.valid_until:
            errors["valid_until"] = _("„gültig bis“ darf nicht vor „gültig ab“ liegen.")
        if self.username:
            clash = ServiceCredential.objects.filter(username__iexact=self.username).exclude(pk=self.pk)
            if clash.exists():
                errors["username"] = _("Dieser Benutzername ist bereits vergeben.")
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs) -> None:
        if self._stored_username is not None and self.username != self._stored_username:
            raise ValidationError(_("Der Benutzername kann nach dem ersten Speichern nicht geändert werden."))
        super().save(*args, **kwargs)
        self._stored_username = self.username

    # C10: only a salted hash is ever stored.
    def set_password(self, raw_password: str, *, by=None) -> None:
        self.password = make_password(raw_password)
        self.password_set_at = timezone.now()
        self.password_set_by = by

    def check_password(self, raw_password: str) -> bool:
        return bool(self.password) and check_password(raw_password, self.password)

    @property
    def has_password(self) -> bool:
        return bool(self.password)

    @property
    def employee(self):
        return getattr(self.user, "employee", None)


class SetupLinkQuerySet(models.QuerySet):
    def open(self):
        """Links that can still be started: not started, not revoked, not expired."""
        return self.filter(used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now())


class SetupLink(models.Model):
    """A one-time link that sets up one phone for one credential and resource (U5).

    Only the SHA-256 of the token is stored: the database alone cannot open a link.
    ``used_at`` is set when the employee starts the set-up on the page (a button, so that
    link previews and mail scanners that fetch the address do not use it up); the browser
    that started it may finish it (``servicecreds.setup_links``).
    """

    credential = models.ForeignKey(ServiceCredential, verbose_name=_("Servicezugangsdaten"),
                                   on_delete=models.CASCADE, related_name="setup_links")
    resource = models.ForeignKey("scheduler.Resource", verbose_name=_("Ressource"), on_delete=models.CASCADE,
                                 related_name="+")
    token_hash = models.CharField(_("Token (SHA-256)"), max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("erzeugt von"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("erzeugt am"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("gültig bis"))
    used_at = models.DateTimeField(_("verwendet am"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("widerrufen am"), null=True, blank=True)

    objects = SetupLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("Einrichtungslink")
        verbose_name_plural = _("Einrichtungslinks")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.credential} · {self.resource} · {self.created_at:%d.%m.%Y %H:%M}"


class AccessVersion(models.Model):
    """One row: a token that changes with everything the access rule reads besides the credential row.

    ``servicecreds.decision_cache`` keys its cached inputs of the rule by it; its receivers replace
    the token in the same transaction as the change (a user, a permission, an employee, a resource,
    a branch). A random token, not a counter: a restored backup or a rolled-back transaction can
    never bring back a value under which stale entries are still cached.
    """

    token = models.CharField(max_length=32, default="initial")

    class Meta:
        verbose_name = _("Stand der Zugriffsregel")
        verbose_name_plural = _("Stand der Zugriffsregel")
