"""The web logins ("Mein Konto" and the admin) behind the same failure counter as the phones.

Policy for a browser: after ``throttle.MAX_FAILURES`` wrong passwords for one
username from one address, that username is refused from that address until
the window (``throttle.FAILURE_WINDOW``) ends, *even with the right password*,
and the form says so. A person can wait a few minutes; a guesser learns nothing,
because the password is not even checked. (Phones are treated differently, see
``authentication.py``: they cannot read a form error and would stop syncing.)
"""

from __future__ import annotations

import logging

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from . import throttle
from .access import REASONS
from .client_address import client_address

log = logging.getLogger("terminsync.auth")
SCOPE = "web"


class ThrottledLoginMixin:
    """Wraps ``AuthenticationForm.clean``: refuse while throttled, count wrong passwords."""

    def clean(self):
        username = self.cleaned_data.get("username")
        if username is None or not self.cleaned_data.get("password"):
            return super().clean()  # field errors; nothing was tried
        client = client_address(self.request) if self.request is not None else ""
        if throttle.is_throttled(SCOPE, username, client):
            log.warning("Web login refused: user=%r reason=throttled ip=%s", username, client)
            raise ValidationError(REASONS["throttled"], code="throttled")
        try:
            return super().clean()
        except ValidationError:
            if self.user_cache is None:  # wrong password or unknown user (not: inactive, no staff)
                count = throttle.record_failure(SCOPE, username, client)
                log.info("Web login refused: user=%r reason=wrong_password failures=%d ip=%s", username, count, client)
            raise


class ThrottledAuthenticationForm(ThrottledLoginMixin, AuthenticationForm):
    """The login of "Mein Konto" (``/account/login/``)."""


class ThrottledAdminAuthenticationForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """The admin login (``/admin/login/``); set as ``admin.site.login_form`` in ``config/urls.py``."""
