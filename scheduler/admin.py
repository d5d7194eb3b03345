"""Terminplaner administration: employees, resources (calendars) and appointments."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from branches.scope import BranchScopedAdmin

from . import history_display, services
from .admin_filters import OccursFilter
from .admin_import import CalendarImportMixin
from .exceptions import AppointmentRefused
from .forms import AppointmentForm, ResourceForm
from .models import (
    CUSTOMER_FIELDS,
    VIEW_CUSTOMER_DATA,
    Appointment,
    AppointmentType,
    AppointmentVersion,
    Change,
    Door,
    Employee,
    Resource,
)
from .planner import navigation  # noqa: F401 - the planner as first entry of this admin section


@admin.register(Employee)
class EmployeeAdmin(BranchScopedAdmin, admin.ModelAdmin):
    list_display = ["display_name", "branch", "email", "phone", "user"]
    list_filter = ["branch"]
    search_fields = ["display_name", "email", "user__username"]
    autocomplete_fields = ["user"]


@admin.register(Resource)
class ResourceAdmin(CalendarImportMixin, BranchScopedAdmin, admin.ModelAdmin):
    form = ResourceForm
    list_display = ["name", "kind", "branch", "employee", "sync_allowed", "privacy", "has_legacy_id", "active", "slug"]
    list_filter = ["branch", "kind", "sync_allowed", "active"]
    search_fields = ["name", "slug", "employee__display_name"]
    readonly_fields = ["slug", "sync_revision"]
    actions = ["clear_legacy_calendar_id", "import_calendar"]  # the import: scheduler.admin_import

    @admin.display(boolean=True, description=_("Google-ID gesetzt"))
    def has_legacy_id(self, obj: Resource) -> bool:
        return bool(obj.legacy_calendar_id)

    # S3: the "magnifier" action of the seed — drop the ID of an earlier Google calendar link.
    @admin.action(description=_("Google-Kalender-ID entfernen"))
    def clear_legacy_calendar_id(self, request, queryset):
        count = queryset.exclude(legacy_calendar_id="").update(legacy_calendar_id="")
        self.message_user(request, _("Google-Kalender-ID bei %(n)d Ressource(n) entfernt.") % {"n": count},
                          messages.SUCCESS)


@admin.register(AppointmentType)
class AppointmentTypeAdmin(BranchScopedAdmin, admin.ModelAdmin):
    """Kinds of appointment per branch: a colleague's phone shows only this name (V1)."""

    list_display = ["name", "branch", "duration_minutes", "color"]
    list_filter = ["branch"]
    search_fields = ["name"]


class DeletedFilter(admin.SimpleListFilter):
    title = _("gelöscht")
    parameter_name = "deleted"

    def lookups(self, request, model_admin):
        return [("no", _("nein")), ("yes", _("ja"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(deleted_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=False)
        return queryset


CUSTOMER = _("Kunde")


@admin.register(Appointment)
class AppointmentAdmin(BranchScopedAdmin, admin.ModelAdmin):
    """Every write goes through ``scheduler.services`` so the change log is always written."""

    form = AppointmentForm
    list_display = ["title", "start", "end", "all_day", "branch", "booked", "is_recurring_display",
                    "source", "has_conflict", "changed_by", "deleted_marker"]
    list_filter = [OccursFilter, DeletedFilter, "has_conflict", "branch", "resources", "resources__kind", "all_day",
                   "source", ("start", admin.DateFieldListFilter)]
    search_fields = ["title", "notes", "place", "uid"]
    date_hierarchy = "start"
    readonly_fields = ["uid", "source", "etag", "has_conflict", "changed_by", "first_start", "last_end", "created",
                       "modified", "deleted_at", "ical_preview"]
    actions = ["restore", "soft_delete"]
    fieldsets = [
        (None, {"fields": ["appointment_type", "title", "branch", "booked_resources", "allow_conflict", "status",
                           "place", "notes", "version"]}),
        (CUSTOMER, {"fields": list(CUSTOMER_FIELDS)}),
        (_("Zeit"), {"fields": ["all_day", "start", "end", "timezone", "repeat_freq", "repeat_weekdays",
                                ("repeat_end", "repeat_until", "repeat_count"), "rrule"]}),
        (_("Technisch"), {"classes": ["collapse"], "fields": [
            "uid", "source", "etag", "has_conflict", "changed_by", "first_start", "last_end", "created", "modified",
            "deleted_at", "ical_preview"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("branch").prefetch_related("bookings__resource")

    def get_changeform_initial_data(self, request):
        """A new appointment is for the branch of the user's employee (if the user is one)."""
        initial = super().get_changeform_initial_data(request)
        if "branch" not in initial:
            employee = Employee.objects.filter(user_id=request.user.pk).only("branch_id").first()
            if employee is not None:
                initial["branch"] = employee.branch_id
        return initial

    def get_fieldsets(self, request, obj=None):
        """Customer data (health data, V1) only for users with "Kundendaten sehen"."""
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.has_perm(VIEW_CUSTOMER_DATA):
            return fieldsets
        return [fs for fs in fieldsets if fs[0] != CUSTOMER]

    def get_search_fields(self, request):
        fields = list(super().get_search_fields(request))
        return [*fields, "customer_name", "customer_number"] if request.user.has_perm(VIEW_CUSTOMER_DATA) else fields

    @admin.display(description=_("Ressourcen"))
    def booked(self, obj: Appointment) -> str:
        return ", ".join(b.resource.name for b in obj.bookings.all() if b.deleted_at is None)

    @admin.display(boolean=True, description=_("Serie"))
    def is_recurring_display(self, obj: Appointment) -> bool:
        return obj.is_recurring

    @admin.display(boolean=True, description=_("gelöscht"))
    def deleted_marker(self, obj: Appointment) -> bool:
        return obj.deleted_at is not None

    @admin.display(description=_("iCalendar-Objekt"))
    def ical_preview(self, obj: Appointment) -> str:
        return format_html("<pre style='white-space:pre-wrap;max-height:30em;overflow:auto'>{}</pre>", obj.ical)

    def save_model(self, request, obj, form, change):
        """The write the form's dry run approved, now under the writer's locks with the form's ETag."""
        services.save_appointment(obj, source=None if change else Appointment.Source.SCHEDULER,
                                  actor=_actor(request), **form.write_options())
        for warning in getattr(obj, "warnings", []):
            self.message_user(request, warning, messages.WARNING)
        if obj.has_conflict:
            self.message_user(request, _("Gespeichert mit bestätigter Doppelbuchung."), messages.WARNING)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """A refusal between the form's check and the write (a phone saved in that instant) is shown,
        never turned into a server error or a silent overwrite."""
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except AppointmentRefused as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_related(self, request, form, formsets, change):
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def get_deleted_objects(self, objs, request):
        """Deletion is soft (S7): nothing else is deleted, so only the appointments are listed."""
        objs = list(objs)
        return [str(o) for o in objs], {self.model._meta.verbose_name_plural: len(objs)}, set(), []

    def delete_model(self, request, obj):
        services.delete_appointment(obj, actor=_actor(request))

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            services.delete_appointment(obj, actor=_actor(request))

    @admin.action(description=_("Ausgewählte Termine wiederherstellen"))
    def restore(self, request, queryset):
        for obj in queryset.filter(deleted_at__isnull=False):
            services.restore_appointment(obj, actor=_actor(request))
        self.message_user(request, _("Termine wiederhergestellt."), messages.SUCCESS)

    @admin.action(description=_("Ausgewählte Termine löschen (wiederherstellbar)"))
    def soft_delete(self, request, queryset):
        for obj in queryset.filter(deleted_at__isnull=True):
            services.delete_appointment(obj, actor=_actor(request))
        self.message_user(request, _("Termine gelöscht."), messages.SUCCESS)

    # --- who changed what (issue 12) ------------------------------------------------------------------
    def get_urls(self):
        return [path("<path:object_id>/versions/<int:version_id>/restore/",
                     self.admin_site.admin_view(self.restore_version_view),
                     name="scheduler_appointment_restore_version"),
                *super().get_urls()]

    def _versions_context(self, request, object_id) -> dict:
        obj = self.get_object(request, unquote(object_id)) if object_id else None
        if obj is None:
            return {}
        return {"versions": history_display.entries(obj, request.user), "appointment_pk": obj.pk,
                "can_restore_versions": self.has_change_permission(request, obj), "appointment_etag": obj.etag}

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The change page shows the history under the form (Zeit, Wer, Weg, Änderungen)."""
        extra_context = {**self._versions_context(request, object_id), **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        """The "Änderungsverlauf" page (linked from the planner) lists the writer's history first."""
        extra_context = {**self._versions_context(request, object_id), **(extra_context or {})}
        return super().history_view(request, object_id, extra_context)

    def restore_version_view(self, request, object_id, version_id):
        """POST "Diese Version wiederherstellen": the version written back through the writer (door admin).

        Needs the change permission on this appointment, which includes the branch scope; the
        ETag the page was drawn with is the precondition, so a phone's change meanwhile is not lost.
        """
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        version = get_object_or_404(AppointmentVersion, pk=version_id, appointment=obj)
        try:
            services.restore_version(version, actor=_actor(request), if_match=request.POST.get("etag") or None)
        except AppointmentRefused as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(request, _("Die Fassung vom %(when)s wurde wiederhergestellt.") % {
                "when": history_display.when(version)}, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:scheduler_appointment_change", args=[obj.pk]))


def _actor(request) -> services.Actor:
    return services.Actor.of_request(request, Door.ADMIN)


@admin.register(Change)
class ChangeAdmin(BranchScopedAdmin, admin.ModelAdmin):
    """Read-only view of the change log, for support: what reached which calendar when."""

    list_display = ["resource", "revision", "op", "name", "appointment", "at"]
    list_filter = ["resource", "op"]
    list_select_related = ["resource", "appointment"]
    branch_field = "resource__branch"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


