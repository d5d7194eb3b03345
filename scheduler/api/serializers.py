"""REST serializers. Appointment writes go through ``scheduler.services`` (the one writer), which
checks the contract (``scheduler.contract``): the same rules as the admin, the planner and CalDAV."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from branches.models import Branch

from .. import contract, services
from ..models import CUSTOMER_FIELDS, VIEW_CUSTOMER_DATA, Appointment, Door, Employee, Resource


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


def api_actor(request) -> services.Actor:
    """The API door's actor: the token's (or session's) user and the calling client."""
    return services.Actor.of_request(request, Door.API)


class AppointmentSerializer(serializers.ModelSerializer):
    """Types and shapes only: what an appointment may be is the contract's, checked by the writer.

    Refusals (``scheduler.exceptions``) become RFC 9457 problems in ``scheduler.api.errors``.
    The customer fields exist only for users with "Kundendaten sehen" (V1): without it they are
    neither shown nor written, and ``?include=ical`` returns the object without customer data
    (the text a colleague's phone gets at "Ohne Kundendaten"). An empty title becomes
    "type – customer" in the writer.
    """

    resources = serializers.PrimaryKeyRelatedField(many=True, queryset=Resource.objects.all(), required=True)
    etag = serializers.CharField(read_only=True)
    ical = serializers.CharField(required=False, trim_whitespace=False,
                                 help_text="The iCalendar object; returned with ?include=ical, stored as sent on write.")
    allow_conflict = serializers.BooleanField(
        write_only=True, required=False, default=False,
        help_text="Store even if a resource is then booked twice at the same time (flagged); without it 409.")

    class Meta:
        model = Appointment
        fields = ["id", "uid", "branch", "resources", "title", "appointment_type", *CUSTOMER_FIELDS, "notes", "place",
                  "status", "all_day", "start", "end",
                  "timezone", "rrule", "source", "etag", "has_conflict", "changed_by", "created", "modified",
                  "deleted_at", "ical", "allow_conflict"]
        read_only_fields = ["uid", "source", "etag", "has_conflict", "changed_by", "created", "modified", "deleted_at"]
        extra_kwargs = {"title": {"required": False, "allow_null": True}, "start": {"required": False},
                        "end": {"required": False},
                        # XML renders "" as an empty element, which parses back as None
                        "notes": {"allow_null": True}, "place": {"allow_null": True}, "rrule": {"allow_null": True},
                        **{name: {"allow_null": True} for name in CUSTOMER_FIELDS}}

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if not (request and request.user.has_perm(VIEW_CUSTOMER_DATA)):
            for name in CUSTOMER_FIELDS:
                fields.pop(name)
        return fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["resources"] = [b.resource_id for b in instance.bookings.all() if b.deleted_at is None]
        request = self.context.get("request")
        if not (request and request.query_params.get("include") == "ical"):
            data.pop("ical", None)
        elif "customer_name" not in self.fields:
            data["ical"] = instance.ical_no_customer  # the stored object carries the customer (title, notes)
        if "customer_name" not in self.fields and instance.customer_name and \
                instance.title == contract.default_title(instance.appointment_type, instance.customer_name):
            data["title"] = contract.default_title(instance.appointment_type, "")  # the writer put the customer there
        return data

    def validate(self, attrs):
        for key in ("notes", "place", "rrule", *CUSTOMER_FIELDS):
            if key in attrs and attrs[key] is None:
                attrs[key] = ""
        if "title" in attrs and attrs["title"] is None:
            attrs["title"] = ""  # the writer makes "type – customer" of it
        if "ical" not in attrs:
            merged = {k: attrs.get(k, getattr(self.instance, k, None)) for k in ("start", "end")}
            missing = {k: ["This field is required."] for k, v in merged.items() if v in (None, "")}
            if missing:
                raise serializers.ValidationError(missing)
        return attrs

    def _save(self, appt: Appointment, validated: dict, *, if_match=None) -> Appointment:
        resources = validated.pop("resources", None)
        ical_text = validated.pop("ical", None)
        allow_conflict = validated.pop("allow_conflict", False)
        for key, value in validated.items():
            setattr(appt, key, value)
        request = self.context.get("request")
        return services.save_appointment(
            appt, resources=resources, ical_text=ical_text, if_match=if_match,
            source=Appointment.Source.API if appt.pk is None else None,
            on_conflict=services.FLAG if allow_conflict else services.REFUSE,
            changed_by="" if request else "API", actor=api_actor(request) if request else None)

    def create(self, validated):
        branch = validated.get("branch")
        appt = Appointment(branch=branch, timezone=validated.get("timezone") or branch.timezone)
        return self._save(appt, validated)

    def update(self, instance, validated):
        return self._save(instance, validated, if_match=self.context.get("if_match"))
