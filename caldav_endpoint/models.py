"""Per-credential calendar settings a client may change with PROPPATCH (name, colour, order).

They are stored per credential and resource, so one employee's colour for a
room calendar does not change the room for everybody else.
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


__all__ = ["CalendarPreference", "color_validator"]
