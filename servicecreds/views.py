"""„Mein Konto“: the employee's own service credentials, password, URLs and Test (C10, U1–U4)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from caldav_endpoint import probe

from . import access, selector, urls_for
from .forms import OwnServicePasswordForm
from .models import ServiceCredential


def own_credential(request, pk: int) -> ServiceCredential:
    """A user reaches only their own credentials; anything else is a 404, also for guessed ids."""
    return get_object_or_404(ServiceCredential.objects.select_related("user", "branch"), pk=pk, user=request.user)


def state_lines(cred: ServiceCredential, decision: access.Decision | None = None) -> list[tuple[bool, str]]:
    """The credential's state in plain words, for the employee."""
    decision = decision if decision is not None else access.credential_decision(cred)
    lines = [
        (cred.confirmed, _("bestätigt") if cred.confirmed else _("nicht bestätigt – bitte an die Filialleitung wenden")),
        (cred.has_password, _("Passwort vergeben") if cred.has_password else _("noch kein Passwort vergeben")),
    ]
    valid = decision.code not in ("not_yet_valid", "expired")
    lines.append((valid, _("gültig") if valid else decision.message))
    if not decision and decision.code not in ("not_confirmed", "no_password", "not_yet_valid", "expired"):
        lines.append((False, decision.message))
    return lines


def account_entry(cred: ServiceCredential) -> dict:
    """One card of "Mein Konto": state, calendars, and why "Dieses Telefon einrichten" is disabled.

    A credential the access rule refuses (expired, not confirmed, …) gets no set-up link at all
    (``setup_links.create`` refuses it too); the card says the rule's reason beside the button.
    """
    decision = access.credential_decision(cred)
    choices = selector.own_choices(cred)
    selected = choices[0] if choices else None  # the syncable ones come first
    if not decision:
        setup_blocked = decision.message
    elif selected is None or not selected.allowed:
        setup_blocked = selected.decision.message if selected else _("Keine Kalender freigegeben.")
    else:
        setup_blocked = None
    return {"credential": cred, "state": state_lines(cred, decision), "ready": bool(decision),
            "choices": choices, "selected": selected, "setup_blocked": setup_blocked,
            "test_url": reverse("account-credential-test", args=[cred.pk])}


@login_required
def account(request):
    creds = ServiceCredential.objects.filter(user=request.user).select_related("branch", "user")
    entries = sorted((account_entry(cred) for cred in creds), key=lambda e: not e["ready"])  # usable first
    return render(request, "account/account.html", {"entries": entries, "discovery_url": urls_for.discovery_url()})


@sensitive_post_parameters()  # error reports never show the passwords posted here
@login_required
def set_password(request, pk: int):
    cred = own_credential(request, pk)
    form = OwnServicePasswordForm(cred, request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save(by=request.user)
        messages.success(request, _("Ihr Servicepasswort für „%(u)s“ wurde gespeichert.") % {"u": cred.username})
        return redirect(reverse("account") + f"#credential-{cred.pk}")  # back to that credential's card
    return render(request, "account/password.html", {"form": form, "credential": cred})


def connection_test_response(cred: ServiceCredential, slug: str | None, *,
                             choices: list[selector.Choice]) -> JsonResponse:
    """The Test button's answer, for the admin and "Mein Konto" alike.

    ``choices`` are the resources the asker may test (and so learn the state of): for an employee
    ``selector.own_choices``, for an admin the credential's resources within the admin's branches.
    """
    resource = next((c.resource for c in choices if c.resource.slug == slug), None)
    if resource is None:
        return JsonResponse({"ok": False, "code": "unknown_resource",
                             "message": _("Bitte eine Ressource auswählen.")}, status=400)
    return JsonResponse(probe.test_connection(cred, resource).as_dict())


@login_required
@require_POST
def test_connection(request, pk: int):
    cred = own_credential(request, pk)
    return connection_test_response(cred, request.POST.get("resource"), choices=selector.own_choices(cred))
