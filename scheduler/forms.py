"""Admin forms of the scheduler; validation itself lives in ``services.validate_appointment``."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import Appointment, Resource
from .services import validate_appointment


def all_day_bounds(start: dt.datetime, end: dt.datetime, tzname: str) -> tuple[dt.datetime, dt.datetime]:
    """Snap an all-day appointment to local midnights; the end is exclusive (RFC 5545 DATE)."""
    tz = zoneinfo.ZoneInfo(tzname)
    s_local, e_local = start.astimezone(tz), end.astimezone(tz)
    s = dt.datetime.combine(s_local.date(), dt.time(0), tzinfo=tz)
    e_day = e_local.date() if e_local.time() == dt.time(0) else e_local.date() + dt.timedelta(days=1)
    e = dt.datetime.combine(max(e_day, s.date() + dt.timedelta(days=1)), dt.time(0), tzinfo=tz)
    return s, e


class AppointmentForm(forms.ModelForm):
    booked_resources = forms.ModelMultipleChoiceField(
        label=_("Gebuchte Ressourcen"),
        queryset=Resource.objects.select_related("branch").all(),
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Z. B. ein Mitarbeiter und ein Raum zugleich."),
    )

    class Meta:
        model = Appointment
        fields = ["title", "branch", "booked_resources", "all_day", "start", "end", "timezone",
                  "rrule", "status", "place", "notes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["booked_resources"].initial = list(
                self.instance.bookings.filter(deleted_at__isnull=True).values_list("resource_id", flat=True))

    def clean_rrule(self) -> str:
        value = self.cleaned_data.get("rrule", "").strip()
        if value.upper().startswith("RRULE:"):
            value = value[6:]
        if value:
            from dateutil.rrule import rrulestr
            try:
                rrulestr(value, dtstart=dt.datetime(2000, 1, 1))
            except (ValueError, TypeError) as exc:
                raise ValidationError(_("Ungültige Wiederholungsregel: %(err)s"), params={"err": exc}) from None
        return value

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and data.get("all_day"):
            data["start"], data["end"] = all_day_bounds(start, end, data.get("timezone") or "Europe/Berlin")
            self.instance.start, self.instance.end = data["start"], data["end"]
        if start and end and "booked_resources" in data:
            try:
                validate_appointment(start=data["start"], end=data["end"], all_day=data.get("all_day", False),
                                     resources=data["booked_resources"])
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    self.add_error("booked_resources" if field == "resources" else field, errors)
        return data


class ResourceForm(forms.ModelForm):
    class Meta:
        model = Resource
        fields = ["name", "kind", "branch", "employee", "sync_allowed", "legacy_calendar_id", "color", "active"]
        widgets = {"color": forms.TextInput(attrs={"type": "color"})}
