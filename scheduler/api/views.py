"""The REST API (A1): branches, employees, resources, appointments as JSON and XML.

Optimistic concurrency: every appointment response carries the same ETag the
CalDAV endpoint serves; PUT/PATCH/DELETE with a stale ``If-Match`` get 412.
Without ``If-Match`` a write is unconditional.

Access (A2): a login with "REST-API nutzen" plus the model permissions
(``permissions.API_PERMISSIONS``); every queryset and every related field's
choices are limited to the branches the user administers (``branches.scope``).
An object of another branch does not exist for the API: 404 on its URL, and
"does not exist" (400, naming the field) when a write refers to it.
"""

from __future__ import annotations

import datetime as dt
import re

from django.db.models import Prefetch, Q
from django.utils.dateparse import parse_date, parse_datetime
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.routers import APIRootView
from rest_framework.serializers import ListSerializer

from branches import scope
from branches.models import Branch

from .. import selectors, services
from ..models import Appointment, Booking, Employee, Resource
from . import serializers
from .permissions import API_PERMISSIONS, ApiUser


class ApiRootView(APIRootView):
    permission_classes = [ApiUser]


class BranchScoped:
    """Viewset mixin: related fields of a write offer only objects of the user's branches."""

    def get_serializer(self, *args, **kwargs):
        serializer = super().get_serializer(*args, **kwargs)
        if not isinstance(serializer, ListSerializer):
            scope.limit_choices(serializer.fields.values(), self.request.user)
        return serializer


class BranchViewSet(BranchScoped, viewsets.ModelViewSet):
    queryset = Branch.objects.all()
    serializer_class = serializers.BranchSerializer
    permission_classes = API_PERMISSIONS

    def get_queryset(self):
        return scope.administered_branches(self.request.user)


class EmployeeViewSet(BranchScoped, viewsets.ModelViewSet):
    queryset = Employee.objects.all()
    serializer_class = serializers.EmployeeSerializer
    permission_classes = API_PERMISSIONS

    def get_queryset(self):
        return scope.scope_employees(Employee.objects.all(), self.request.user)


class ResourceViewSet(BranchScoped, viewsets.ModelViewSet):
    queryset = Resource.objects.all()
    serializer_class = serializers.ResourceSerializer
    permission_classes = API_PERMISSIONS

    def get_queryset(self):
        return scope.scope_resources(Resource.objects.all(), self.request.user)


def _when(value: str, name: str) -> dt.datetime:
    """``?start=`` / ``?end=``: an ISO 8601 date or date-time; naive means UTC. Else a 400 naming ``name``."""
    try:
        parsed = parse_datetime(value)
        if parsed is None and (day := parse_date(value)):
            parsed = dt.datetime.combine(day, dt.time(0))
        if parsed is not None and parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.timezone.utc)
        if parsed is not None:
            parsed.astimezone(dt.timezone.utc)  # year 1 / 9999 with an offset leaves the calendar
    except (ValueError, OverflowError):  # well-formed but impossible, e.g. 2026-02-30
        parsed = None
    if parsed is None:
        raise ValidationError({name: [f"Not an ISO 8601 date or date-time: {value!r}"]})
    return parsed


_ID = re.compile(r"[0-9]{1,18}")  # fits a BigAutoField; longer digit strings are taken as a slug
_SLUG = re.compile(r"[-a-zA-Z0-9_]{1,64}")


def _id_or_slug(value: str, name: str, slug_field: str) -> Q:
    """``?resource=`` / ``?branch=``: an id or a slug (code); anything else (NUL bytes…) is a 400 naming it."""
    if _ID.fullmatch(value):
        return Q(pk=int(value))
    if _SLUG.fullmatch(value):
        return Q(**{slug_field: value})
    raise ValidationError({name: ["Not an id or a slug."]})


class AppointmentViewSet(BranchScoped, viewsets.ModelViewSet):
    serializer_class = serializers.AppointmentSerializer
    permission_classes = API_PERMISSIONS
    queryset = Appointment.objects.all()

    def get_queryset(self):
        params = self.request.query_params
        qs = scope.scope_appointments(Appointment.objects.select_related("branch").prefetch_related(
            Prefetch("bookings", queryset=Booking.objects.all())), self.request.user)
        if self.action == "list":
            qs = qs.filter(deleted_at__isnull=params.get("deleted") not in ("1", "true"))
        elif self.action not in ("restore",):
            qs = qs.filter(deleted_at__isnull=True)
        if params.get("resource"):
            key = _id_or_slug(params["resource"], "resource", "slug")
            qs = qs.filter(bookings__resource__in=Resource.objects.filter(key),
                           bookings__deleted_at__isnull=True).distinct()
        if params.get("branch"):
            qs = qs.filter(branch__in=Branch.objects.filter(_id_or_slug(params["branch"], "branch", "code")))
        return qs.order_by("first_start", "pk")

    def list(self, request, *args, **kwargs):
        params = request.query_params
        if params.get("start") or params.get("end"):
            start = _when(params["start"], "start") if params.get("start") else None
            end = _when(params["end"], "end") if params.get("end") else None
            if start and end and end <= start:
                raise ValidationError({"end": ["end must be after start"]})
            items = selectors.appointments_in_range(self.get_queryset(), start, end)
            page = self.paginate_queryset(items)
            data = self.get_serializer(page if page is not None else items, many=True).data
            return self.get_paginated_response(data) if page is not None else Response(data)
        return super().list(request, *args, **kwargs)

    def _etag_response(self, response, appt):
        response["ETag"] = f'"{appt.etag}"'
        return response

    def retrieve(self, request, *args, **kwargs):
        appt = self.get_object()
        return self._etag_response(Response(self.get_serializer(appt).data), appt)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "if_match": self.request.headers.get("If-Match")}

    def create(self, request, *args, **kwargs):
        response = super().create(request, *args, **kwargs)
        appt = Appointment.objects.get(pk=response.data["id"])
        return self._etag_response(response, appt)

    def update(self, request, *args, **kwargs):
        response = super().update(request, *args, **kwargs)
        return self._etag_response(response, Appointment.objects.get(pk=response.data["id"]))

    def perform_destroy(self, instance):
        services.delete_appointment(instance, if_match=self.request.headers.get("If-Match"),
                                    actor=serializers.api_actor(self.request))

    @action(detail=True, methods=["post"])
    def restore(self, request, pk=None):
        appt = self.get_object()
        services.restore_appointment(appt, actor=serializers.api_actor(request))
        appt.refresh_from_db()
        return self._etag_response(Response(self.get_serializer(appt).data), appt)
