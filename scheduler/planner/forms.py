"""Input rules of the planner's JSON requests. Times arrive as wall-clock values of the branch's zone.

What an appointment may be is not decided here: the writer (``scheduler.services``) and the
contract judge the result, and their refusals reach the planner with the same words.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django import forms
from django.utils.translation import gettext_lazy as _

from branches.models import Branch
from scheduler import services
from scheduler.models import Resource
from scheduler.selectors import planner_resources

DURATIONS = [15, 30, 45, 60, 90, 120, 180, 240]
INSTANCE, SERIES = "instance", "series"


class WallClockField(forms.CharField):
    """A local date or date-time (``2026-11-27T10:00``) without zone; the form attaches the branch's."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return dt.datetime.fromisoformat(value[:19])
        except ValueError:
            raise forms.ValidationError(_("Ungültige Zeitangabe."), code="invalid") from None


def in_zone(value: dt.datetime | None, tz: zoneinfo.ZoneInfo) -> dt.datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=tz) if value.tzinfo is None else value.astimezone(tz)


class PlannerForm(forms.Form):
    allow_conflict = forms.BooleanField(required=False)

    def __init__(self, data, *, branch: Branch):
        super().__init__(data)
        self.branch = branch
        self.tz = zoneinfo.ZoneInfo(branch.timezone)

    def on_conflict(self) -> str:
        """First try refusing a double booking; resent with "Trotzdem speichern" it is stored and flagged."""
        return services.FLAG if self.cleaned_data.get("allow_conflict") else services.REFUSE


class CreateForm(PlannerForm):
    """The quick form of an empty slot: title, duration, the column's resource, a second one, notes."""

    title = forms.CharField(label=_("Titel"), max_length=255)
    start = WallClockField(label=_("Beginn"))
    minutes = forms.TypedChoiceField(label=_("Dauer"), coerce=int, choices=[(m, m) for m in DURATIONS],
                                     required=False, empty_value=30)
    all_day = forms.BooleanField(required=False)
    resources = forms.ModelMultipleChoiceField(label=_("Ressourcen"), queryset=Resource.objects.none())
    notes = forms.CharField(label=_("Notizen"), required=False, max_length=5000)

    def __init__(self, data, *, branch: Branch):
        super().__init__(data, branch=branch)
        self.fields["resources"].queryset = Resource.objects.filter(pk__in=[r.pk for r in planner_resources(branch)])

    def appointment_fields(self) -> dict:
        data = self.cleaned_data
        start = in_zone(data["start"], self.tz)
        if data["all_day"]:
            start = start.replace(hour=0, minute=0, second=0)
            end = start + dt.timedelta(days=1)
        else:
            end = start + dt.timedelta(minutes=data["minutes"] or 30)
        return {"title": data["title"], "notes": data["notes"], "start": start, "end": end,
                "all_day": data["all_day"], "timezone": self.branch.timezone}


class MoveForm(PlannerForm):
    """A drag (move, maybe to another column) or a resize of one drawn occurrence."""

    etag = forms.CharField(max_length=64)
    occurrence = forms.DateTimeField()  # the UTC start the planner drew it at
    start = WallClockField()
    end = WallClockField()
    from_resource = forms.IntegerField(required=False)
    to_resource = forms.IntegerField(required=False)
    resized = forms.BooleanField(required=False)  # the lower edge was dragged: a new length
    scope = forms.ChoiceField(choices=[("", ""), (INSTANCE, INSTANCE), (SERIES, SERIES)], required=False)

    def clean(self):
        data = super().clean()
        for name in ("start", "end"):
            data[name] = in_zone(data.get(name), self.tz)
        occurrence = data.get("occurrence")
        if occurrence is not None and occurrence.tzinfo is None:
            data["occurrence"] = occurrence.replace(tzinfo=dt.timezone.utc)
        return data

    def column_change(self) -> tuple[int, int] | None:
        src, dst = self.cleaned_data.get("from_resource"), self.cleaned_data.get("to_resource")
        return (src, dst) if src and dst and src != dst else None


class DeleteForm(forms.Form):
    etag = forms.CharField(max_length=64)


class RestoreForm(DeleteForm):
    """"Diese Version wiederherstellen": like a delete, only the ETag the planner drew the appointment with."""
