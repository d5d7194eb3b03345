"""Filialverwaltung > Servicezugangsdaten: the seed's "Neu / Bestätigt / Neues Passwort vergeben /
Ressource spezifische URL / Test" workflow (C1–C10, U1–U4), in the shape of Django's UserAdmin."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.mail import send_mail
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters

from branches.scope import BranchScopedAdmin, scope_resources
from caldav_endpoint import probe
from scheduler.models import Resource

from . import access, selector, urls_for
from .forms import ServiceCredentialForm, SetServicePasswordForm
from .models import ServiceCredential
from .views import connection_test_response


class PasswordSetFilter(admin.SimpleListFilter):
    title = gettext_lazy("Passwort gesetzt")
    parameter_name = "password_set"

    def lookups(self, request, model_admin):
        return [("yes", gettext_lazy("ja")), ("no", gettext_lazy("nein"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(password="")
        if self.value() == "no":
            return queryset.filter(password="")
        return queryset


@admin.register(ServiceCredential)
class ServiceCredentialAdmin(BranchScopedAdmin, admin.ModelAdmin):
    form = ServiceCredentialForm
    change_form_template = "admin/servicecreds/servicecredential/change_form.html"
    list_display = ["username", "user", "employee_name", "branch", "service_class", "confirmed", "valid_from",
                    "valid_until", "password_set", "last_used_at"]
    list_filter = ["confirmed", "service_class", "branch", PasswordSetFilter]
    search_fields = ["username", "user__username", "user__employee__display_name"]
    list_select_related = ["user", "user__employee", "branch"]
    autocomplete_fields = ["user"]
    fields = ["access_type", "username", "valid_from", "valid_until", "user", "branch", "service_class",
              "confirmed", "password_state", "last_used_at", "last_user_agent"]

    @admin.display(description=gettext_lazy("Mitarbeiter"))
    def employee_name(self, obj):
        emp = obj.employee
        return emp.display_name if emp else "—"

    @admin.display(boolean=True, description=gettext_lazy("Passwort gesetzt"))
    def password_set(self, obj):
        return obj.has_password

    @admin.display(description=gettext_lazy("Passwort"))
    def password_state(self, obj):
        if not obj.has_password:
            return _("noch nicht vergeben")
        who = obj.password_set_by.get_username() if obj.password_set_by else "—"
        return _("gesetzt am %(when)s von %(who)s") % {
            "when": obj.password_set_at.strftime("%d.%m.%Y %H:%M") if obj.password_set_at else "—", "who": who}

    def get_readonly_fields(self, request, obj=None):
        readonly = ["password_state", "last_used_at", "last_user_agent"]
        if obj is not None:
            readonly.append("username")  # C3: fixed after the first save
        return readonly

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if obj is None:
            fields = [f for f in fields if f not in ("password_state", "last_used_at", "last_user_agent")]
        return fields

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["username_hint"] = _("Der Benutzername kann nicht mehr geändert werden. Für einen anderen "
                                         "Benutzernamen den Eintrag löschen und neu anlegen.")
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/password/", wrap(sensitive_post_parameters()(self.password_view)),
                 name="servicecreds_servicecredential_password"),
            path("<int:pk>/url/", wrap(self.url_view), name="servicecreds_servicecredential_url"),
            path("<int:pk>/test/", wrap(self.test_view), name="servicecreds_servicecredential_test"),
        ] + super().get_urls()

    def _credential(self, request, pk, *, change=True):
        """The credential of an extra view; one outside the admin's branches does not exist (B1)."""
        cred = self.get_queryset(request).select_related("user", "branch").filter(pk=pk).first()
        if cred is None or not (self.has_change_permission(request, cred) if change
                                else self.has_view_permission(request, cred)):
            raise Http404
        return cred

    def _choices(self, request, cred):
        """The credential's resources, as far as this admin may see them (the Test button reports on them)."""
        return selector.choices(cred, among=scope_resources(Resource.objects.all(), request.user))

    def password_view(self, request, pk):
        """"Neues Passwort vergeben": the hash is replaced; the admin never sees an old password."""
        cred = self._credential(request, pk)
        form = SetServicePasswordForm(cred, request.POST or None)
        if request.method == "POST" and form.is_valid():
            form.save(by=request.user)
            self.message_user(request, _("Das Passwort für „%(u)s“ wurde neu vergeben.") % {"u": cred.username},
                              messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:servicecreds_servicecredential_change", args=[cred.pk]))
        context = {**self.admin_site.each_context(request), "opts": self.opts, "original": cred, "form": form,
                   "title": _("Neues Passwort vergeben: %(u)s") % {"u": cred.username}}
        return TemplateResponse(request, "admin/servicecreds/password.html", context)

    def url_view(self, request, pk):
        """"Ressource spezifische URL" (U1–U3): selector, URL, copy, e-mail, QR code, Test."""
        cred = self._credential(request, pk, change=False)
        options = self._choices(request, cred)
        wanted = request.POST.get("resource") or request.GET.get("resource")
        selected = next((c for c in options if c.resource.slug == wanted), options[0] if options else None)
        if request.method == "POST" and request.POST.get("action") == "email" and selected and selected.allowed:
            self._send_url(request, cred, selected)
            return HttpResponseRedirect(f"{request.path}?resource={selected.resource.slug}")
        context = {**self.admin_site.each_context(request), "opts": self.opts, "original": cred,
                   "title": _("Ressource spezifische URL: %(u)s") % {"u": cred.username},
                   "choices": options, "selected": selected, "credential_decision": access.credential_decision(cred),
                   "discovery_url": urls_for.discovery_url(),
                   "test_url": reverse("admin:servicecreds_servicecredential_test", args=[cred.pk]),
                   "warning": probe.legacy_warning(selected.resource) if selected else None}
        return TemplateResponse(request, "admin/servicecreds/resource_url.html", context)

    def _send_url(self, request, cred, choice):
        emp = cred.employee
        to = (emp and emp.email) or cred.user.email
        if not to:
            self.message_user(request, _("Für diesen Mitarbeiter ist keine E-Mail-Adresse hinterlegt."),
                              messages.ERROR)
            return
        body = _("Hallo,\n\nmit diesen Angaben richten Sie den Kalender „%(name)s“ auf Ihrem Telefon ein "
                 "(CalDAV-Konto):\n\nServer-URL: %(url)s\nBenutzername: %(user)s\nPasswort: Ihr "
                 "Servicepasswort (unter „Mein Konto“ selbst festlegen)\n\n") % {
                     "name": choice.resource.name, "url": choice.url, "user": cred.username}
        send_mail(_("Ihre Kalender-Adresse für „%(name)s“") % {"name": choice.resource.name}, body, None, [to])
        self.message_user(request, _("Die URL wurde an %(to)s gesendet.") % {"to": to}, messages.SUCCESS)

    def test_view(self, request, pk):
        """The Test button: a real request through the endpoint; JSON for the page's script."""
        if request.method != "POST":
            return JsonResponse({"error": "POST required"}, status=405)
        cred = self._credential(request, pk, change=False)
        return connection_test_response(cred, request.POST.get("resource"), choices=self._choices(request, cred))
