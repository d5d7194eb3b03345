"""The admin's "Kalender importieren" on a resource: upload an export, see what was imported and why not.

A thin door to ``scheduler.importer`` (the same code as ``manage.py import_ics``): the resource is
looked up in the admin's scoped queryset (B1: another branch's resource does not exist here), and
``importer.rights_of`` decides the user's rights (branch scope, add/change appointment).
``ResourceAdmin`` mixes ``CalendarImportMixin`` in for the page, its button and its action.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import importer

MAX_UPLOAD = 50 * 1024 * 1024  # an export of many years of a busy calendar stays far below


class CalendarImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("iCalendar-Datei (.ics)"),
        help_text=gettext_lazy("Export aus Google Kalender, Outlook oder einem anderen Kalender. Bereits "
                               "importierte Termine (gleiche UID) werden aktualisiert, nicht verdoppelt."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("Die Datei ist größer als %(n)d MB.") % {"n": MAX_UPLOAD // (1024 * 1024)})
        return upload


class CalendarImportMixin:
    """For ``ResourceAdmin``: ``<pk>/import/``, a button on the change page and a list action."""

    change_form_template = "admin/scheduler/resource/change_form.html"

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_view)
        return [path("<int:pk>/import/", view, name="scheduler_resource_import"), *super().get_urls()]

    @staticmethod
    def import_url(pk: int) -> str:
        return reverse("admin:scheduler_resource_import", args=[pk])

    def import_calendar(self, request, queryset):
        """List action: the import page of the one selected resource."""
        if queryset.count() != 1:
            self.message_user(request, _("Bitte genau eine Ressource auswählen."), messages.WARNING)
            return None
        return HttpResponseRedirect(self.import_url(queryset.get().pk))

    import_calendar.short_description = gettext_lazy("Kalender importieren")

    def import_view(self, request, pk):
        resource = self.get_queryset(request).select_related("branch").filter(pk=pk).first()
        if resource is None or not self.has_view_permission(request, resource):
            raise Http404
        try:
            importer.rights_of(request.user, resource)
        except importer.ImportRefused as exc:
            raise PermissionDenied(exc.message) from None
        form = CalendarImportForm(request.POST or None, request.FILES or None)
        report = None
        if request.method == "POST" and form.is_valid():
            report = self._import(request, resource, form.cleaned_data["file"])
        context = {**self.admin_site.each_context(request), "opts": self.opts, "original": resource, "form": form,
                   "report": report, "title": _("Kalender importieren: %(name)s") % {"name": resource.name}}
        return TemplateResponse(request, "admin/scheduler/resource/import.html", context)

    def _import(self, request, resource, upload) -> importer.ImportReport:
        objects, skipped = importer.read_objects([(upload.name, upload.read())])
        report = importer.ImportReport(skipped=skipped)
        return importer.import_objects(resource, objects, user=request.user, report=report)
