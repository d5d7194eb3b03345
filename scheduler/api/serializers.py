"""REST serializers. Appointment writes go through ``scheduler.services`` (the one writer), and
validation through ``services.validate_appointment`` (the same rule as the admin and CalDAV)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from branches.models import Branch

from .. import ical, services
from ..models import Appointment, Employee, Resource


class BranchSerializer(serializers.ModelSerializer):
    class Meta:
        model = Branch
        fields = ["id", "name", "code", "timezone", "active"]


class EmployeeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Employee
        fields = ["id", "display_name", "email", "phone", "branch"]


class ResourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Resource
        fields = ["id", "slug", "name", "kind", "branch", "employee", "sync_allowed", "legacy_calendar_id",
                  "color", "active", "sync_revision"]
        read_only_fields = ["slug", "sync_revision"]

    def validate(self, attrs):
        instance = Resource(**{**({f.name: getattr(self.instance, f.name) for f in Resource._meta.fields}
                                  if self.instance else {}), **attrs})
        try:
            instance.clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from None
        return attrs


def _django_errors(exc: DjangoValidationError) -> serializers.ValidationError:
    if hasattr(exc, "error_dict"):
        return serializers.ValidationError({k: [str(m) for m in v.messages] if hasattr(v, "messages") else v
                                            for k, v in exc.message_dict.items()})
    return serializers.ValidationError(exc.messages)


class AppointmentSerializer(serializers.ModelSerializer):
    resources = serializers.PrimaryKeyRelatedField(many=True, queryset=Resource.objects.all(), required=True)
    etag = serializers.CharField(read_only=True)
    ical = serializers.CharField(required=False, trim_whitespace=False,
                                 help_text="The iCalendar object; returned with ?include=ical, stored as sent on write.")

    class Meta:
        model = Appointment
        fields = ["id", "uid", "branch", "resources", "title", "notes", "place", "status", "all_day", "start", "end",
                  "timezone", "rrule", "source", "etag", "created", "modified", "deleted_at", "ical"]
        read_only_fields = ["uid", "source", "etag", "created", "modified", "deleted_at"]
        extra_kwargs = {"title": {"required": False}, "start": {"required": False}, "end": {"required": False},
                        # XML renders "" as an empty element, which parses back as None
                        "notes": {"allow_null": True}, "place": {"allow_null": True}, "rrule": {"allow_null": True}}

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["resources"] = [b.resource_id for b in instance.bookings.all() if b.deleted_at is None]
        request = self.context.get("request")
        if not (request and request.query_params.get("include") == "ical"):
            data.pop("ical", None)
        return data

    def validate_ical(self, value):
        try:
            ical.extract(ical.parse(value), "Europe/Berlin")
        except ical.InvalidCalendar as exc:
            raise serializers.ValidationError(str(exc)) from None
        return value

    def validate(self, attrs):
        for key in ("notes", "place", "rrule"):
            if key in attrs and attrs[key] is None:
                attrs[key] = ""
        if "ical" not in attrs:
            merged = {k: attrs.get(k, getattr(self.instance, k, None)) for k in ("title", "start", "end")}
            missing = {k: ["This field is required."] for k, v in merged.items() if v in (None, "")}
            if missing:
                raise serializers.ValidationError(missing)
            resources = attrs.get("resources")
            if resources is None and self.instance is not None:
                resources = [b.resource for b in self.instance.bookings.filter(deleted_at__isnull=True)]
            try:
                services.validate_appointment(start=merged["start"], end=merged["end"],
                                              all_day=attrs.get("all_day", getattr(self.instance, "all_day", False)),
                                              resources=resources or [])
            except DjangoValidationError as exc:
                raise _django_errors(exc) from None
        return attrs

    def _save(self, appt: Appointment, validated: dict, *, if_match=None) -> Appointment:
        resources = validated.pop("resources", None)
        ical_text = validated.pop("ical", None)
        for key, value in validated.items():
            setattr(appt, key, value)
        try:
            return services.save_appointment(appt, resources=resources, ical_text=ical_text,
                                             source=Appointment.Source.API if appt.pk is None else None,
                                             if_match=if_match)
        except DjangoValidationError as exc:
            raise _django_errors(exc) from None
        except ical.InvalidCalendar as exc:
            raise serializers.ValidationError({"ical": [str(exc)]}) from None
        except services.UidConflict as exc:
            raise serializers.ValidationError({"uid": [f"UID already used in calendar {exc.booking.resource}"]}) from None

    def create(self, validated):
        branch = validated.get("branch")
        appt = Appointment(branch=branch, timezone=validated.get("timezone") or branch.timezone)
        return self._save(appt, validated)

    def update(self, instance, validated):
        return self._save(instance, validated, if_match=self.context.get("if_match"))
