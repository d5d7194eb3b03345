"""Admin forms of the scheduler.

The rules themselves live in ``scheduler.contract`` and the writer; a form runs
the writer as a dry run (``services.check_write``) after its own field parsing,
so every refusal appears beside the field it is about, with the same words the
API and the phone get.
"""

from __future__ import annotations

import contextlib
import zoneinfo

from django import forms
from django.contrib.admin.widgets import AdminDateWidget, FilteredSelectMultiple
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import recurrence_picker as rp
from . import services
from .exceptions import AppointmentRefused, PreconditionFailed
from .models import Appointment, Resource

# Where a refusal's ``field`` is shown in the admin form (others: above the form).
FORM_FIELDS = {"resources": "booked_resources", "start": "start", "end": "end", "rrule": "rrule",
               "title": "title", "place": "place", "notes": "notes", "timezone": "timezone",
               "appointment_type": "appointment_type"}


def refusal_field(exc: AppointmentRefused, form: forms.Form) -> str | None:
    name = FORM_FIELDS.get(exc.field)
    if name == "rrule" and getattr(form, "picker_used", False):
        name = "repeat_freq"  # the raw rule is hidden: the picker wrote it
    return name if name in form.fields else None


PICKER_FIELDS = ["repeat_freq", "repeat_weekdays", "repeat_end", "repeat_until", "repeat_count"]
NOT_EDITABLE = _("Diese Wiederholung kann hier nicht bearbeitet werden; sie bleibt unverändert.")


class ResourceChoiceField(forms.ModelMultipleChoiceField):
    """Resources of the appointment's branch first; others (persons only) labelled with their branch."""

    home_branch_id: int | None = None

    def label_from_instance(self, obj: Resource) -> str:
        if self.home_branch_id is None or obj.branch_id != self.home_branch_id:
            return f"{obj.name} ({obj.branch.name})"
        return obj.name


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class AppointmentForm(forms.ModelForm):
    booked_resources = ResourceChoiceField(
        label=_("Gebuchte Ressourcen"),
        queryset=Resource.objects.select_related("branch").all(),
        widget=FilteredSelectMultiple(_("Ressourcen"), is_stacked=False),
        help_text=_("Z. B. ein Mitarbeiter und ein Raum zugleich. Räume anderer Filialen sind nicht buchbar; "
                    "Mitarbeiter anderer Filialen stehen am Ende der Liste."),
    )
    repeat_freq = forms.ChoiceField(
        label=_("Wiederholung"), required=False, initial=rp.NONE,
        choices=[(rp.NONE, _("keine")), (rp.DAILY, _("täglich")), (rp.WEEKLY, _("wöchentlich")),
                 (rp.MONTHLY, _("monatlich"))],
    )
    repeat_weekdays = forms.MultipleChoiceField(
        label=_("an den Wochentagen"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=list(zip(rp.WEEKDAYS, [_("Mo"), _("Di"), _("Mi"), _("Do"), _("Fr"), _("Sa"), _("So")],
                         strict=True)),
        help_text=_("Nur bei wöchentlicher Wiederholung; ohne Auswahl der Wochentag des Beginns."),
    )
    repeat_end = forms.ChoiceField(
        label=_("Ende"), required=False, initial=rp.NEVER,
        choices=[(rp.NEVER, _("nie")), (rp.UNTIL, _("am Datum")), (rp.COUNT, _("nach N Terminen"))],
    )
    repeat_until = forms.DateField(label=_("Letzter Tag"), required=False, widget=AdminDateWidget)
    repeat_count = forms.IntegerField(label=_("Anzahl Termine"), required=False, min_value=1,
                                      max_value=rp.MAX_COUNT)
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
        self.picker_used = False
        booked: list[int] = []
        if self.instance.pk:
            booked = list(
                self.instance.bookings.filter(deleted_at__isnull=True).values_list("resource_id", flat=True))
            self.fields["booked_resources"].initial = booked
            self.fields["version"].initial = self.instance.etag
        self._limit_resources(booked)
        self._init_picker()

    # --- resources ----------------------------------------------------------------------------
    def _home_branch_id(self) -> int | None:
        """The branch the resource list is drawn for: the posted one, the appointment's, or the default."""
        if self.is_bound and self.add_prefix("branch") in self.data:
            return _int_or_none(self.data.get(self.add_prefix("branch")))
        if self.instance.pk:
            return self.instance.branch_id
        initial = self.initial.get("branch")
        return _int_or_none(getattr(initial, "pk", initial))

    def _limit_resources(self, booked: list[int]) -> None:
        """Own branch first; other branches' persons after it (the contract warns); no foreign rooms.

        Resources already booked stay offered, so an edit never drops one silently.
        """
        field = self.fields["booked_resources"]
        home = self._home_branch_id()
        field.home_branch_id = home
        qs = field.queryset
        if home is not None:
            qs = qs.filter(Q(branch_id=home) | Q(kind=Resource.Kind.PERSON) | Q(pk__in=booked)).annotate(
                other_branch=Case(When(branch_id=home, then=Value(0)), default=Value(1),
                                  output_field=IntegerField()))
            qs = qs.order_by("other_branch", "branch__name", "name")
        else:
            qs = qs.order_by("branch__name", "name")
        field.queryset = qs

    # --- recurrence ---------------------------------------------------------------------------
    def _init_picker(self) -> None:
        if "rrule" not in self.fields:  # a view-only user's form: every field is read-only, none is here
            self.stored_picker = None
            return
        stored = self.instance.rrule if self.instance.pk else ""
        self.stored_picker = rp.parse(stored, self.instance.timezone or "Europe/Berlin")
        if self.stored_picker is None:
            # not expressible by the picker: shown read-only, kept as it is
            for name in [*PICKER_FIELDS, "rrule"]:
                self.fields[name].disabled = True
            self.fields["rrule"].help_text = NOT_EDITABLE
            self.fields["repeat_freq"].help_text = NOT_EDITABLE
            return
        self.fields["rrule"].widget = forms.HiddenInput()
        p = self.stored_picker
        for name, value in (("repeat_freq", p.freq), ("repeat_weekdays", list(p.weekdays)), ("repeat_end", p.end),
                            ("repeat_until", p.until), ("repeat_count", p.count)):
            self.fields[name].initial = value

    @property
    def picker_editable(self) -> bool:
        return self.stored_picker is not None

    def _posted_picker(self) -> rp.Picker | None:
        """The picker's values if it was posted (a form without them sends the raw ``rrule``)."""
        if not self.picker_editable or self.add_prefix("repeat_freq") not in self.data:
            return None
        data = self.cleaned_data
        return rp.Picker(data.get("repeat_freq") or rp.NONE, tuple(data.get("repeat_weekdays") or ()),
                         data.get("repeat_end") or rp.NEVER, data.get("repeat_until"),
                         data.get("repeat_count")).normalised()

    def clean_rrule(self) -> str:
        value = (self.cleaned_data.get("rrule") or "").strip()
        return value[6:] if value.upper().startswith("RRULE:") else value

    def clean(self):
        cleaned = super().clean()
        if any(name in self.errors for name in PICKER_FIELDS):
            return cleaned
        picker = self._posted_picker()
        if picker is None:
            return cleaned
        self.picker_used = True
        if picker.freq != rp.NONE and picker.end == rp.UNTIL and picker.until is None:
            self.add_error("repeat_until", gettext("Bitte den letzten Tag angeben."))
            return cleaned
        if picker.freq != rp.NONE and picker.end == rp.COUNT and picker.count is None:
            self.add_error("repeat_count", gettext("Bitte die Anzahl der Termine angeben."))
            return cleaned
        if picker == self.stored_picker.normalised():
            cleaned["rrule"] = self.instance.rrule if self.instance.pk else ""  # unchanged: kept verbatim
        else:
            tzname = cleaned.get("timezone") or self.instance.timezone or "Europe/Berlin"
            # an unknown time zone: the timezone field shows the error
            with contextlib.suppress(zoneinfo.ZoneInfoNotFoundError, ValueError):
                cleaned["rrule"] = rp.write(picker, tzname)
        return cleaned

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
