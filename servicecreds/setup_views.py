"""The one-time set-up page (U5): no login, the link's token is the authorisation.

GET shows a start button (fetching a link uses nothing up); "Einrichtung starten" binds the link to
this browser (``setup_links.start``); then the page offers, by platform, an Apple profile, a DAVx5
link or the three values, and a "Verbindung testen" with the password just typed.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from caldav_endpoint import probe

from . import access, authentication, phone_profiles, selector, setup_links, urls_for
from .client_address import client_address
from .forms import SetServicePasswordForm
from .views import own_credential, state_lines

GONE = {
    "unknown": gettext_lazy("Dieser Einrichtungslink ist ungültig."),
    "used": gettext_lazy("Dieser Einrichtungslink wurde bereits verwendet. Bitte einen neuen anfordern."),
    "expired": gettext_lazy("Dieser Einrichtungslink ist abgelaufen. Bitte einen neuen anfordern."),
    "revoked": gettext_lazy("Dieser Einrichtungslink wurde widerrufen. Bitte einen neuen anfordern."),
}


def _gone(request, state: str) -> HttpResponse:
    return render(request, "setup/gone.html", {"message": GONE[state]}, status=404 if state == "unknown" else 410)


def _own_link(request, token: str):
    """The link, if this browser started it; otherwise a 404/410 page (raised as the response)."""
    link = setup_links.find(token)
    state = setup_links.state(link, request.session)
    return link, (None if state == "mine" else _gone(request, state))


@never_cache
def start(request, token: str):
    link = setup_links.find(token)
    state = setup_links.state(link, request.session)
    if request.method == "POST" and state == "ok":
        if setup_links.start(link, request.session):
            return redirect("setup-start", token=token)
        state = "used"
    if state == "ok":
        return render(request, "setup/start.html", {"link": link})
    if state != "mine":
        return _gone(request, state)
    return render(request, "setup/setup.html", setup_context(request, link, token))


def setup_context(request, link, token: str, password_form=None) -> dict:
    cred, resource = link.credential, link.resource
    platform = request.GET.get("platform")
    if platform not in phone_profiles.PLATFORMS:
        platform = phone_profiles.detect_platform(request.headers.get("User-Agent", ""))
    order = [platform] + [p for p in phone_profiles.PLATFORMS if p != platform]
    return {
        "link": link, "token": token, "credential": cred, "resource": resource, "platform": platform,
        "platforms": order, "state": state_lines(cred), "decision": access.resource_decision(cred, resource),
        "calendar_url": urls_for.caldav_url(cred, resource), "davx5_link": phone_profiles.davx5_link(cred, resource),
        "password_form": password_form or (None if cred.has_password else SetServicePasswordForm(cred)),
        "account_url": urls_for.absolute(reverse("account")),
        "session_until": link.used_at + dt.timedelta(minutes=setup_links.SESSION_MINUTES),
    }


@sensitive_post_parameters()
@require_POST
@never_cache
def set_password(request, token: str):
    """The first service password, set on the phone. An existing one is changed only in "Mein Konto"."""
    link, gone = _own_link(request, token)
    if gone:
        return gone
    cred = link.credential
    if cred.has_password:
        messages.info(request, _("Für diese Zugangsdaten ist bereits ein Passwort vergeben; ändern unter „Mein Konto“."))
        return redirect("setup-start", token=token)
    form = SetServicePasswordForm(cred, request.POST)
    if not form.is_valid():
        return render(request, "setup/setup.html", setup_context(request, link, token, form), status=400)
    form.save(by=cred.user)
    messages.success(request, _("Ihr Servicepasswort wurde gespeichert."))
    return redirect(reverse("setup-start", args=[token]) + "#setup-test")


def _verified(request, cred, password: str) -> str | None:
    """None if the password is the credential's; otherwise the reason (the phone's own check)."""
    result = authentication.authenticate(cred.username, password, client=client_address(request))
    if result.decision.code in ("wrong_password", "unknown_user", "throttled", "no_password"):
        return result.decision.message
    return None


@sensitive_post_parameters()
@require_POST
@never_cache
def profile(request, token: str):
    """The Apple configuration profile, built for this response only; with the password if typed."""
    link, gone = _own_link(request, token)
    if gone:
        return gone
    cred, password = link.credential, request.POST.get("password", "")
    if password:
        refusal = _verified(request, cred, password)
        if refusal:
            messages.error(request, refusal)
            return redirect(reverse("setup-start", args=[token]) + "?platform=apple")
    response = HttpResponse(phone_profiles.mobileconfig(cred, password or None),
                            content_type=phone_profiles.PROFILE_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="terminsync-{cred.pk}.mobileconfig"'
    return response


@sensitive_post_parameters()
@require_POST
@never_cache
def test(request, token: str):
    """"Verbindung testen": the password as the phone sends it, then the phone's request (probe)."""
    link, gone = _own_link(request, token)
    if gone:
        return JsonResponse({"ok": False, "code": "link", "message": _("Der Einrichtungslink ist nicht mehr gültig.")},
                            status=gone.status_code)
    cred = link.credential
    password = request.POST.get("password", "")
    if not password:
        return JsonResponse({"ok": False, "code": "no_password_typed",
                             "message": _("Bitte Ihr Servicepasswort eingeben.")}, status=400)
    result = authentication.authenticate(cred.username, password, client=client_address(request))
    if not result.decision:
        return JsonResponse({"ok": False, "code": result.decision.code, "message": result.decision.message,
                             "warnings": []})
    return JsonResponse(probe.test_connection(result.credential, link.resource).as_dict())


@login_required
@require_POST
def own_setup(request, pk: int):
    """"Dieses Telefon einrichten" in "Mein Konto": a link for this credential, started in this browser."""
    new = _new_own_link(request, pk)
    if not isinstance(new, setup_links.NewLink):
        return new
    setup_links.start(new.link, request.session)
    return redirect("setup-start", token=new.token)


@login_required
@require_POST
def own_qr(request, pk: int):
    """A QR code of a fresh set-up link, for setting up another device from this screen."""
    new = _new_own_link(request, pk)
    if not isinstance(new, setup_links.NewLink):
        return new
    return render(request, "account/qr.html", {"credential": new.link.credential, "resource": new.link.resource,
                                               "link": new.link, "setup_url": new.url,
                                               "qr_svg": selector.qr_svg(new.url)})


def _new_own_link(request, pk: int) -> setup_links.NewLink | HttpResponse:
    """A set-up link for the employee's own credential and the calendar chosen in "Mein Konto";
    or, if there is none to make, the way back to the credential's card with the reason."""
    cred = own_credential(request, pk)
    decision = access.credential_decision(cred)  # as the card's disabled button says (``views.account_entry``)
    if not decision:
        messages.error(request, setup_links.SetupRefused(decision).message)
        return _back_to_card(cred)
    slug = request.POST.get("resource")
    choice = next((c for c in selector.own_choices(cred) if c.resource.slug == slug), None)
    if choice is None:
        messages.error(request, _("Dieser Kalender kann mit diesen Zugangsdaten nicht synchronisiert werden."))
        return _back_to_card(cred)
    try:
        return setup_links.create(cred, choice.resource, by=request.user)
    except setup_links.SetupRefused as refused:  # blocked credential or calendar: the rule's reason, nothing stored
        messages.error(request, refused.message)
        return _back_to_card(cred)


def _back_to_card(cred) -> HttpResponse:
    return redirect(reverse("account") + f"#credential-{cred.pk}")
