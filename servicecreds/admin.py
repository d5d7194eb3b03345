"""Filialverwaltung > Servicezugangsdaten: the seed's "Neu / Bestätigt / Neues Passwort vergeben /
Ressource spezifische URL / Test" workflow (C1–C10, U1–U4), in the shape of Django's UserAdmin."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters

from branches.scope import BranchScopedAdmin, scope_resources
from caldav_endpoint import probe
from scheduler.models import Resource

from . import access, delivery, device_status, lost_phone, selector, setup_links, urls_for
from .forms import ServiceCredentialForm, SetServicePasswordForm
from .models import ServiceCredential, SetupLink
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


class DeviceStatusFilter(admin.SimpleListFilter):
    """OK / nie verbunden / veraltet / Fehler / Gesperrt: the same rule as the status column (``device_status``)."""

    title = gettext_lazy("Synchronisation")
    parameter_name = "sync"

    def lookups(self, request, model_admin):
        return list(device_status.STATES.items())

    def queryset(self, request, queryset):
        if self.value() in device_status.STATES:
            return device_status.filter_state(queryset, self.value())
        return queryset


@admin.register(ServiceCredential)
class ServiceCredentialAdmin(BranchScopedAdmin, admin.ModelAdmin):
    form = ServiceCredentialForm
    change_form_template = "admin/servicecreds/servicecredential/change_form.html"
    # Issue 14: one status column, and the list fits a 1280 px screen. User account, service class (one
    # choice), validity and password state are on the change page and in the filters; the status column
    # says first whether the access rule lets the credential connect at all ("Gesperrt: abgelaufen am …").
    list_display = ["username", "employee_name", "sync_status", "branch", "confirmed"]
    list_filter = [DeviceStatusFilter, "confirmed", "service_class", "branch", PasswordSetFilter]
    search_fields = ["username", "user__username", "user__employee__display_name"]
    list_select_related = ["user", "user__employee", "branch", "device_health"]
    actions = ["phone_lost"]

    class Media:
        css = {"all": ["servicecreds/device_status.css"]}
    autocomplete_fields = ["user"]
    fields = ["access_type", "username", "valid_from", "valid_until", "user", "branch", "service_class",
              "confirmed", "password_state", "access_state", "last_used_at", "last_user_agent", "device_events"]

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

    @admin.display(description=gettext_lazy("Synchronisation"))
    def sync_status(self, obj):
        current = device_status.status(obj)
        title = current.reason or (device_status.local(current.at) if current.at else "")
        return format_html('<span class="sync-{}" title="{}">{}</span>', current.state, title, current.text)

    @admin.display(description=gettext_lazy("Zugang"))
    def access_state(self, obj):
        """The access rule's sentence for this credential (``access.credential_decision``)."""
        return access.credential_decision(obj).message

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        device_status.share_users(changelist.result_list)  # the status column's access rule: once per user
        return changelist

    @admin.display(description=gettext_lazy("Letzte Ereignisse"))
    def device_events(self, obj):
        rows = device_status.events(obj)
        if not rows:
            return _("Noch nie verbunden")
        return format_html("<ul class=\"device-events\">{}</ul>", format_html_join(
            "", "<li>{}: {}</li>", ((device_status.local(when), text) for when, text in rows)))

    @admin.action(description=gettext_lazy("Telefon verloren: sperren"), permissions=["change"])
    def phone_lost(self, request, queryset):
        for cred in queryset:
            done = lost_phone.lock_out(cred, by=request.user)
            self.log_change(request, done.credential, _(
                "Telefon verloren: Bestätigung entfernt, Passwort durch ein zufälliges ersetzt, "
                "%(n)d Einrichtungslink(s) widerrufen.") % {"n": done.links_revoked})
            self.message_user(request, _("„%(u)s“ ist gesperrt. Für ein neues Telefon ein neues Passwort vergeben "
                                         "und „Bestätigt“ wieder setzen.") % {"u": cred.username}, messages.WARNING)

    def get_readonly_fields(self, request, obj=None):
        readonly = ["password_state", "access_state", "last_used_at", "last_user_agent", "device_events"]
        if obj is not None:
            readonly.append("username")  # C3: fixed after the first save
        return readonly

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if obj is None:
            fields = [f for f in fields
                      if f not in ("password_state", "access_state", "last_used_at", "last_user_agent",
                                   "device_events")]
        return fields

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["username_hint"] = _("Der Benutzername kann nicht mehr geändert werden. Für einen anderen "
                                         "Benutzernamen den Eintrag löschen und neu anlegen.")
            context["branch_warning"] = access.branch_mismatch_warning(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        warning = access.branch_mismatch_warning(obj)  # warn, not refuse: a phone may work in another branch
        if warning:
            self.message_user(request, warning, messages.WARNING)

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
            setup_links.revoke_for(cred)  # an admin's new password starts over: links sent before are void
            self.message_user(request, _("Das Passwort für „%(u)s“ wurde neu vergeben.") % {"u": cred.username},
                              messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:servicecreds_servicecredential_change", args=[cred.pk]))
        context = {**self.admin_site.each_context(request), "opts": self.opts, "original": cred, "form": form,
                   "title": _("Neues Passwort vergeben: %(u)s") % {"u": cred.username}}
        return TemplateResponse(request, "admin/servicecreds/password.html", context)

    def url_view(self, request, pk):
        """"Ressource spezifische URL" (U1–U3, U5): selector, URL, copy, set-up link (QR, e-mail, SMS), Test."""
        cred = self._credential(request, pk, change=False)
        options = self._choices(request, cred)
        wanted = request.POST.get("resource") or request.GET.get("resource")
        selected = next((c for c in options if c.resource.slug == wanted), options[0] if options else None)
        new_link = None
        if request.method == "POST":
            new_link = self._url_action(request, cred, selected)
            if not isinstance(new_link, setup_links.NewLink):
                return HttpResponseRedirect(f"{request.path}?resource={selected.resource.slug if selected else ''}")
        context = {**self.admin_site.each_context(request), "opts": self.opts, "original": cred,
                   "title": _("Ressource spezifische URL: %(u)s") % {"u": cred.username},
                   "choices": options, "selected": selected, "credential_decision": access.credential_decision(cred),
                   "discovery_url": urls_for.discovery_url(),
                   "test_url": reverse("admin:servicecreds_servicecredential_test", args=[cred.pk]),
                   "warning": probe.legacy_warning(selected.resource) if selected else None,
                   "test_note": _("Passwort nicht geprüft – es ist nur gehasht gespeichert"),
                   "new_link": new_link, "new_link_qr": selector.qr_svg(new_link.url) if new_link else "",
                   "open_links": SetupLink.objects.open().filter(credential=cred).select_related("resource"),
                   "sms_disabled": delivery.sms_unavailable_reason(cred),
                   "can_send": self.has_change_permission(request, cred)}
        return TemplateResponse(request, "admin/servicecreds/resource_url.html", context)

    def _url_action(self, request, cred, selected):
        """A button of the URL page: a new set-up link (QR), sent by e-mail or SMS, or links revoked."""
        if not self.has_change_permission(request, cred):
            raise Http404
        action = request.POST.get("action")
        if action == "revoke":
            n = setup_links.revoke(SetupLink.objects.filter(credential=cred, pk__in=request.POST.getlist("link")))
            self.message_user(request, _("%(n)d Einrichtungslink(s) widerrufen.") % {"n": n}, messages.SUCCESS)
            return None
        if selected is None:
            return None
        try:
            if action == "setup_link":
                return setup_links.create(cred, selected.resource, by=request.user)
            if action in ("email", "sms"):
                self._send_url(request, cred, selected, by_sms=action == "sms")
        except setup_links.SetupRefused as refused:  # the access rule's reason; no link stored, nothing sent
            self.message_user(request, refused.message, messages.ERROR)
        return None

    def _send_url(self, request, cred, choice, *, by_sms=False):
        """The set-up link (never a password) to the employee's e-mail address or mobile number."""
        sent = (delivery.send_sms if by_sms else delivery.send_email)(cred, choice.resource, by=request.user)
        self.message_user(request, sent.message, messages.SUCCESS if sent.ok else messages.ERROR)

    def test_view(self, request, pk):
        """The Test button: a real request through the endpoint; JSON for the page's script."""
        if request.method != "POST":
            return JsonResponse({"error": "POST required"}, status=405)
        cred = self._credential(request, pk, change=False)
        return connection_test_response(cred, request.POST.get("resource"), choices=self._choices(request, cred))
