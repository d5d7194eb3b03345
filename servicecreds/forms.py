"""Forms of the service-credential workflow; password rules are Django's validators."""

from __future__ import annotations

from django import forms
from django.contrib.auth.password_validation import password_validators_help_text_html, validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import ServiceCredential


class ServiceCredentialForm(forms.ModelForm):
    class Meta:
        model = ServiceCredential
        fields = ["access_type", "username", "valid_from", "valid_until", "user", "branch", "service_class",
                  "confirmed"]


class SetServicePasswordForm(forms.Form):
    """"Neues Passwort vergeben" (C10): the new password twice; the old one is never shown."""

    password1 = forms.CharField(label=_("Neues Passwort"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                                help_text=password_validators_help_text_html())
    password2 = forms.CharField(label=_("Neues Passwort (Wiederholung)"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, credential: ServiceCredential, *args, **kwargs):
        self.credential = credential
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("Die beiden Passwörter stimmen nicht überein."))
        elif p1:
            try:
                validate_password(p1, user=self.credential.user)
            except ValidationError as exc:
                self.add_error("password1", exc)
        return data

    def save(self, by) -> ServiceCredential:
        self.credential.set_password(self.cleaned_data["password1"], by=by)
        self.credential.save()
        return self.credential


class OwnServicePasswordForm(SetServicePasswordForm):
    """On "Mein Konto" the user first proves who they are with the login password."""

    current_password = forms.CharField(label=_("Ihr Anmeldepasswort"), strip=False,
                                       widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    field_order = ["current_password", "password1", "password2"]

    def __init__(self, credential, user, *args, **kwargs):
        self.user = user
        super().__init__(credential, *args, **kwargs)

    def clean_current_password(self):
        value = self.cleaned_data["current_password"]
        if not self.user.check_password(value):
            raise ValidationError(_("Das Anmeldepasswort ist nicht korrekt."))
        return value
