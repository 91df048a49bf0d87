"""Forms of the account pages: sign-in, language and API tokens."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.utils.translation import gettext_lazy as _


class SignInForm(AuthenticationForm):
    """Django's sign-in form with our widgets (axes counts every failure)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update(
            {"class": "form-control", "autocomplete": "username", "autofocus": True}
        )
        self.fields["password"].widget.attrs.update(
            {"class": "form-control", "autocomplete": "current-password"}
        )


class ChangePasswordForm(PasswordChangeForm):
    """Django's change-password form (old password, new one twice, checked by the password
    validators); saving goes through ``services.change_password``, not ``form.save``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, autocomplete in (
            ("old_password", "current-password"),
            ("new_password1", "new-password"),
            ("new_password2", "new-password"),
        ):
            self.fields[name].widget.attrs.update(
                {"class": "form-control", "autocomplete": autocomplete}
            )


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "class": "form-control form-control-sm",
                "placeholder": _("e.g. CRM integration"),
            }
        ),
    )
