"""The REST API (A1): branches, employees, resources, appointments as JSON and XML.

Optimistic concurrency: every appointment response carries the same ETag the
CalDAV endpoint serves; PUT/PATCH/DELETE with a stale ``If-Match`` get 412.
Without ``If-Match`` a write is unconditional.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch, Q
from django.utils.dateparse import parse_date, parse_datetime
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response

from branches.models import Branch

from .. import selectors, services
from ..models import Appointment, Booking, Employee, Resource
from . import serializers
from .permissions import ModelPermissions


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The appointment was changed in the meantime (ETag does not match)."
    default_code = "precondition_failed"


class BranchViewSet(viewsets.ModelViewSet):
    queryset = Branch.objects.all()
    serializer_class = serializers.BranchSerializer
    permission_classes = [ModelPermissions]


class EmployeeViewSet(viewsets.ModelViewSet):
    queryset = Employee.objects.all()
    serializer_class = serializers.EmployeeSerializer
    permission_classes = [ModelPermissions]


class ResourceViewSet(viewsets.ModelViewSet):
    queryset = Resource.objects.all()
    serializer_class = serializers.ResourceSerializer
    permission_classes = [ModelPermissions]


def _when(value: str, name: str) -> dt.datetime:
    parsed = parse_datetime(value)
    if parsed is None and parse_date(value):
        parsed = dt.datetime.combine(parse_date(value), dt.time(0))
    if parsed is None:
        raise ValidationError({name: [f"Not an ISO 8601 date or date-time: {value!r}"]})
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed


class AppointmentViewSet(viewsets.ModelViewSet):
    serializer_class = serializers.AppointmentSerializer
    permission_classes = [ModelPermissions]
    queryset = Appointment.objects.all()

    def get_queryset(self):
        params = self.request.query_params
        qs = Appointment.objects.select_related("branch").prefetch_related(
            Prefetch("bookings", queryset=Booking.objects.all()))
        if self.action == "list":
            qs = qs.filter(deleted_at__isnull=params.get("deleted") not in ("1", "true"))
        elif self.action not in ("restore",):
            qs = qs.filter(deleted_at__isnull=True)
        if params.get("resource"):
            value = params["resource"]
            key = Q(pk=value) if value.isdigit() else Q(slug=value)
            qs = qs.filter(bookings__resource__in=Resource.objects.filter(key),
                           bookings__deleted_at__isnull=True).distinct()
        if params.get("branch"):
            value = params["branch"]
            qs = qs.filter(branch__in=Branch.objects.filter(Q(pk=value) if value.isdigit() else Q(code=value)))
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
        try:
            response = super().update(request, *args, **kwargs)
        except services.PreconditionFailed:
            raise PreconditionFailed() from None
        return self._etag_response(response, Appointment.objects.get(pk=response.data["id"]))

    def perform_destroy(self, instance):
        try:
            services.delete_appointment(instance, if_match=self.request.headers.get("If-Match"))
        except services.PreconditionFailed:
            raise PreconditionFailed() from None

    @action(detail=True, methods=["post"])
    def restore(self, request, pk=None):
        appt = self.get_object()
        try:
            services.restore_appointment(appt)
        except services.UidConflict as exc:
            raise ValidationError({"uid": [f"UID already used in calendar {exc.booking.resource}"]}) from None
        appt.refresh_from_db()
        return self._etag_response(Response(self.get_serializer(appt).data), appt)
