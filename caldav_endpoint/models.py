"""Per-credential calendar settings a client may change with PROPPATCH (name, colour, order),
and the sync health of each credential's device.

Calendar settings are stored per credential and resource, so one employee's
colour for a room calendar does not change the room for everybody else.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from scheduler.models import Resource, color_validator
from servicecreds.models import ServiceCredential


class CalendarPreference(models.Model):
    credential = models.ForeignKey(ServiceCredential, on_delete=models.CASCADE, related_name="calendar_preferences")
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="+")
    displayname = models.CharField(_("Anzeigename"), max_length=200, blank=True)
    color = models.CharField(_("Farbe"), max_length=9, blank=True)
    order = models.IntegerField(_("Reihenfolge"), null=True, blank=True)

    class Meta:
        verbose_name = _("Kalendereinstellung")
        verbose_name_plural = _("Kalendereinstellungen")
        constraints = [models.UniqueConstraint(fields=["credential", "resource"], name="calendar_pref_once")]


class DeviceHealth(models.Model):
    """Sync health of the device behind one service credential (written by ``caldav_endpoint.health``).

    The last successful request and its User-Agent are ``ServiceCredential.last_used_at`` /
    ``last_user_agent``; this row holds what that does not: sync polls and refusals.
    """

    credential = models.OneToOneField(ServiceCredential, verbose_name=_("Servicezugangsdaten"), primary_key=True,
                                      on_delete=models.CASCADE, related_name="device_health")
    last_sync_at = models.DateTimeField(_("letzte Synchronisation"), null=True, blank=True,
                                        help_text=_("Letzte Abfrage auf Änderungen (sync-collection oder ctag)."))
    last_refusal_at = models.DateTimeField(_("letzte Ablehnung"), null=True, blank=True)
    last_refusal_code = models.CharField(_("Grund der letzten Ablehnung"), max_length=40, blank=True)
    last_refusal_detail = models.CharField(_("Meldung der letzten Ablehnung"), max_length=300, blank=True)
    last_refusal_agent = models.CharField(_("abgelehnter Client"), max_length=300, blank=True)
    refusals_since = models.DateTimeField(_("Ablehnungen gezählt seit"), null=True, blank=True)
    refusals_count = models.PositiveIntegerField(_("Ablehnungen"), default=0,
                                                 help_text=_("Seit „Ablehnungen gezählt seit“, höchstens 24 Stunden."))

    class Meta:
        verbose_name = _("Synchronisationszustand")
        verbose_name_plural = _("Synchronisationszustände")


__all__ = ["CalendarPreference", "DeviceHealth", "color_validator"]
