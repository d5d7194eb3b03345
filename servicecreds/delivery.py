"""Sending a phone its set-up link by e-mail or SMS (U3, U5): never a password, every send logged.

SMS cost money and reach a phone directly, so they are limited per credential
(``settings.SMS_RATE_LIMIT`` per hour, counted in the cache like ``throttle``). The log names the
credential, the resource, the link's id and a masked number; never the token or a password.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from . import setup_links, sms, urls_for
from .models import ServiceCredential

log = logging.getLogger("terminsync.setup")
SMS_WINDOW = 3600  # seconds


@dataclass(frozen=True)
class Sent:
    ok: bool
    message: str


def recipient_email(cred: ServiceCredential) -> str:
    emp = cred.employee
    return (emp and emp.email) or cred.user.email


def recipient_mobile(cred: ServiceCredential) -> str:
    emp = cred.employee
    return str(emp.mobile) if emp is not None and emp.mobile else ""


def sms_unavailable_reason(cred: ServiceCredential) -> str | None:
    """Why the SMS button is disabled, in the admin's words; None when it can be used."""
    if not sms.is_enabled():
        return _("SMS-Versand ist nicht eingerichtet (SMS_BACKEND)")
    if not recipient_mobile(cred):
        return _("Keine Mobilnummer hinterlegt")
    return None


def mask(number: str) -> str:
    return number[:6] + "…" + number[-3:] if len(number) > 9 else "…"


def _expiry(link) -> str:
    return date_format(timezone.localtime(link.expires_at), "SHORT_DATETIME_FORMAT")


def send_email(cred: ServiceCredential, resource, *, by) -> Sent:
    to = recipient_email(cred)
    if not to:
        return Sent(False, _("Für diesen Mitarbeiter ist keine E-Mail-Adresse hinterlegt."))
    new = setup_links.create(cred, resource, by=by)
    body = _("Hallo,\n\nöffnen Sie diesen Link auf Ihrem Telefon, um den Kalender „%(name)s“ einzurichten "
             "(einmal verwendbar, gültig bis %(until)s):\n\n%(link)s\n\nOder von Hand als CalDAV-Konto:\n"
             "Server-URL: %(url)s\nBenutzername: %(user)s\nPasswort: Ihr Servicepasswort\n\nIhr Servicepasswort "
             "legen Sie unter „Mein Konto“ fest: %(account)s\n") % {
                 "name": resource.name, "until": _expiry(new.link), "link": new.url,
                 "url": urls_for.caldav_url(cred, resource), "user": cred.username,
                 "account": urls_for.absolute(reverse("account"))}
    send_mail(_("Ihr Kalender „%(name)s“ auf dem Telefon") % {"name": resource.name}, body, None, [to])
    log.info("Set-up link sent by e-mail: credential=%s resource=%s link=%s by=%s", cred.username, resource.slug,
             new.link.pk, by)
    return Sent(True, _("Der Einrichtungslink wurde an %(to)s gesendet.") % {"to": to})


def _sms_key(cred: ServiceCredential) -> str:
    return f"servicecreds:sms:{cred.pk}"


def sms_quota_left(cred: ServiceCredential) -> int:
    return max(0, settings.SMS_RATE_LIMIT - (cache.get(_sms_key(cred)) or 0))


def _count_sms(cred: ServiceCredential) -> None:
    key = _sms_key(cred)
    cache.add(key, 0, SMS_WINDOW)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, SMS_WINDOW)


def send_sms(cred: ServiceCredential, resource, *, by) -> Sent:
    reason = sms_unavailable_reason(cred)
    if reason:
        return Sent(False, reason)
    if sms_quota_left(cred) <= 0:
        log.warning("Set-up SMS refused (rate limit): credential=%s by=%s", cred.username, by)
        return Sent(False, _("Es wurden bereits %(n)s SMS in der letzten Stunde gesendet; bitte später erneut "
                             "versuchen.") % {"n": settings.SMS_RATE_LIMIT})
    to = recipient_mobile(cred)
    new = setup_links.create(cred, resource, by=by)
    text = _("Terminsync: Kalender „%(name)s“ auf diesem Telefon einrichten (einmal, bis %(until)s): %(link)s") % {
        "name": resource.name, "until": _expiry(new.link), "link": new.url}
    _count_sms(cred)
    try:
        sms.send_sms(to, text)
    except sms.SmsError as exc:
        setup_links.revoke(type(new.link).objects.filter(pk=new.link.pk))
        log.error("Set-up SMS failed: credential=%s to=%s link=%s error=%s", cred.username, mask(to), new.link.pk, exc)
        return Sent(False, _("Die SMS konnte nicht gesendet werden; bitte später erneut versuchen."))
    log.info("Set-up link sent by SMS: credential=%s resource=%s to=%s link=%s by=%s", cred.username, resource.slug,
             mask(to), new.link.pk, by)
    return Sent(True, _("Der Einrichtungslink wurde per SMS an %(to)s gesendet.") % {"to": to})
