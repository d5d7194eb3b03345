"""Admin list filters over the occurrence table: a series is listed on every day it happens (issue 11)."""

from __future__ import annotations

import datetime as dt

from django.contrib import admin
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Occurrence


def period(value: str, today: dt.date) -> tuple[dt.date, dt.date] | None:
    """[first, last) local days of "today", "this week" (Monday–Sunday) and "this month"."""
    if value == "today":
        return today, today + dt.timedelta(days=1)
    if value == "week":
        monday = today - dt.timedelta(days=today.weekday())
        return monday, monday + dt.timedelta(days=7)
    if value == "month":
        first = today.replace(day=1)
        return first, (first + dt.timedelta(days=32)).replace(day=1)
    return None


class OccursFilter(admin.SimpleListFilter):
    """Appointments with an occurrence in the period (the occurrence table, so series instances count)."""

    title = _("findet statt")
    parameter_name = "occurs"

    def lookups(self, request, model_admin):
        return [("today", _("Heute")), ("week", _("Diese Woche")), ("month", _("Dieser Monat"))]

    def queryset(self, request, queryset):
        days = period(self.value() or "", timezone.localdate())
        if days is None:
            return queryset
        tz = timezone.get_current_timezone()
        start, end = (dt.datetime.combine(d, dt.time(0), tzinfo=tz) for d in days)
        occurs = Occurrence.objects.filter(appointment=OuterRef("pk"), start__lt=end).filter(
            Q(end__gt=start) | Q(end=start, start__gte=start))
        return queryset.filter(Exists(occurs))
