"""Admin forms of the scheduler.

The rules themselves live in ``scheduler.contract`` and the writer; a form runs
the writer as a dry run (``services.check_write``) after its own field parsing,
so every refusal appears beside the field it is about, with the same words the
API and the phone get.
"""

from __future__ import annotations

import zoneinfo

from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import services
from .exceptions import AppointmentRefused, PreconditionFailed
from .models import Appointment, Resource

# Where a refusal's ``field`` is shown in the admin form (others: above the form).
FORM_FIELDS = {"resources": "booked_resources", "start": "start", "end": "end", "rrule": "rrule",
               "title": "title", "place": "place", "notes": "notes", "timezone": "timezone",
               "appointment_type": "appointment_type"}


def refusal_field(exc: AppointmentRefused, form: forms.Form) -> str | None:
    name = FORM_FIELDS.get(exc.field)
    return name if name in form.fields else None


class AppointmentForm(forms.ModelForm):
    booked_resources = forms.ModelMultipleChoiceField(
        label=_("Gebuchte Ressourcen"),
        queryset=Resource.objects.select_related("branch").all(),
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Z. B. ein Mitarbeiter und ein Raum zugleich."),
    )
    allow_conflict = forms.BooleanField(
        label=_("Doppelbuchung bestätigen"), required=False,
        help_text=_("Nur ankreuzen, wenn eine Ressource bewusst doppelt gebucht werden soll."),
    )
    # The version this form was drawn with: saving it is "If-Match" (never a silent overwrite).
    version = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Appointment
        fields = ["title", "appointment_type", "customer_name", "customer_phone", "customer_number", "branch",
                  "booked_resources", "all_day", "start", "end", "timezone", "rrule", "status", "place", "notes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["booked_resources"].initial = list(
                self.instance.bookings.filter(deleted_at__isnull=True).values_list("resource_id", flat=True))
            self.fields["version"].initial = self.instance.etag

    def clean_rrule(self) -> str:
        value = self.cleaned_data.get("rrule", "").strip()
        return value[6:] if value.upper().startswith("RRULE:") else value

    def write_options(self) -> dict:
        """What the writer needs from this form besides the instance (used by the dry run and the save)."""
        return {
            "resources": self.cleaned_data["booked_resources"],
            "if_match": (self.cleaned_data.get("version") or None) if self.instance.pk else None,
            "on_conflict": services.FLAG if self.cleaned_data.get("allow_conflict") else services.REFUSE,
        }

    def _post_clean(self):
        super()._post_clean()
        if self.errors or "booked_resources" not in self.cleaned_data:
            return
        try:
            checked = services.check_write(self.instance, **self.write_options())
        except PreconditionFailed as exc:
            self._stale(exc)
        except AppointmentRefused as exc:
            self.add_error(refusal_field(exc, self), exc.message)
        else:
            # the normalised times (all-day snapped to midnights) are what will be stored
            self.instance.start, self.instance.end = checked.start, checked.end

    def _stale(self, exc: PreconditionFailed) -> None:
        """A phone (or a colleague) changed it since this form was drawn: show that version, keep ours.

        The hidden ETag is moved to the current version, so saving again applies
        this form's values on top of it, knowingly.
        """
        current = Appointment.objects.filter(pk=self.instance.pk).first()
        if current is None or current.deleted_at is not None:
            self.add_error(None, gettext("Der Termin wurde inzwischen gelöscht."))
            return
        tz = zoneinfo.ZoneInfo(current.timezone)
        self.data = self.data.copy()
        self.data[self.add_prefix("version")] = current.etag
        self.add_error(None, gettext(
            "Der Termin wurde inzwischen geändert (z. B. am Telefon). Aktuelle Fassung: „%(title)s“, "
            "%(start)s – %(end)s. Erneut speichern übernimmt Ihre Eingaben in diese Fassung.") % {
            "title": current.title,
            "start": date_format(current.start.astimezone(tz), "DATETIME_FORMAT"),
            "end": date_format(current.end.astimezone(tz), "DATETIME_FORMAT")})


class ResourceForm(forms.ModelForm):
    class Meta:
        model = Resource
        fields = ["name", "kind", "branch", "employee", "sync_allowed", "privacy", "legacy_calendar_id", "color",
                  "active"]
        widgets = {"color": forms.TextInput(attrs={"type": "color"})}
