"""The portal's forms: what a visitor types to follow a request, sign in, and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class _BootstrapForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control form-control-lg")


class LookupForm(_BootstrapForm):
    number = forms.CharField(
        label=_("Request number"),
        max_length=24,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    contact = forms.CharField(
        label=_("Phone or email on the request"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "email"}),
    )


class SignInForm(_BootstrapForm):
    email = forms.CharField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class CodeForm(_BootstrapForm):
    code = forms.CharField(
        label=_("One-time code"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": "12"}
        ),
    )


class MessageForm(_BootstrapForm):
    body = forms.CharField(
        label=_("Your message"),
        max_length=10_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class NotSolvedForm(_BootstrapForm):
    body = forms.CharField(
        label=_("What is still wrong?"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RatingForm(forms.Form):
    """How satisfied the customer is with the help (the CSAT scale, 1–5)."""

    score = forms.TypedChoiceField(
        label=_("How satisfied are you with our help?"),
        choices=[
            ("5", _("Very satisfied")),
            ("4", _("Satisfied")),
            ("3", _("Neither")),
            ("2", _("Dissatisfied")),
            ("1", _("Very dissatisfied")),
        ],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Anything to add?"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )
