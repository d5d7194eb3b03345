"""Branches (Filialen): the unit an appointment, a room and a credential belong to."""

from __future__ import annotations

import datetime
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


def validate_timezone(value: str) -> None:
    """Accept only IANA zone names that this Python knows (they end up in VTIMEZONEs)."""
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("„%(value)s“ ist keine bekannte IANA-Zeitzone."), params={"value": value})


class Privacy(models.TextChoices):
    """V1: what a phone receives of appointments in which its own employee is not booked (room calendars).

    The rule that applies it is ``servicecreds.access.privacy_for``; the redaction itself is
    ``scheduler.redaction``.
    """

    FULL = "full", _("Vollständig")
    NO_CUSTOMER = "no_customer", _("Ohne Kundendaten")
    BUSY = "busy", _("Nur belegt")


class Branch(models.Model):
    name = models.CharField(_("Name"), max_length=200)
    code = models.SlugField(
        _("Kürzel"), max_length=20, unique=True,
        help_text=_("Kurzes, eindeutiges Kürzel der Filiale, z. B. „HH-01“."),
    )
    timezone = models.CharField(
        _("Zeitzone"), max_length=64, default="Europe/Berlin", validators=[validate_timezone],
    )
    active = models.BooleanField(_("aktiv"), default=True)

    class ConflictPolicy(models.TextChoices):
        ACCEPT = "accept", _("annehmen und markieren")
        REFUSE = "refuse", _("ablehnen")

    # P2: what happens when a phone writes an appointment that double-books a resource. Refusing
    # can stop DAVx5 from syncing that calendar at all, so accepting (and flagging) is the default.
    conflict_policy = models.CharField(
        _("Terminkonflikte vom Telefon"), max_length=10, choices=ConflictPolicy.choices,
        default=ConflictPolicy.ACCEPT,
        help_text=_("Was geschieht, wenn ein Telefon eine bereits belegte Ressource ein zweites Mal bucht."),
    )
    privacy = models.CharField(
        _("Datenschutz auf Telefonen"), max_length=12, choices=Privacy.choices, default=Privacy.NO_CUSTOMER,
        help_text=_("Was Telefone von Terminen erhalten, in denen ihr Mitarbeiter nicht gebucht ist (z. B. in "
                    "Raumkalendern). Eigene Termine kommen immer vollständig an."),
    )
    # The planner's time axis (issue 11): the grid shows the hours between opening and closing.
    opens = models.TimeField(_("öffnet um"), default=datetime.time(8, 0),
                             help_text=_("Beginn der Zeitachse im Terminplaner."))
    closes = models.TimeField(_("schließt um"), default=datetime.time(19, 0),
                              help_text=_("Ende der Zeitachse im Terminplaner."))
    # B1: who administers this branch (see branches/scope.py, the one scope rule).
    managers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("Filialleitung"), blank=True, related_name="managed_branches",
        help_text=_("Benutzer, die diese Filiale verwalten (Gruppe „Filialleiter“, Mitarbeiter-Status)."),
    )

    class Meta:
        verbose_name = _("Filiale")
        verbose_name_plural = _("Filialen")
        ordering = ["name"]
        permissions = [("use_api", _("REST-API nutzen"))]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.opens is not None and self.closes is not None and self.closes <= self.opens:
            raise ValidationError({"closes": _("Die Filiale muss nach ihrer Öffnung schließen.")})

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)
