"""Forms of the phone and SMS pages: a call logged by hand, the channel settings."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bihuan.channels.phone.choices import CallDirection


def _input(**attrs: Any) -> dict[str, Any]:
    return {"class": "form-control form-control-sm", **attrs}


class CallLogForm(forms.Form):
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=CallDirection.choices,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    phone = forms.CharField(
        label=_("Phone number"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs=_input(inputmode="tel")),
        help_text=_("Empty: the customer's number."),
    )
    started_at = forms.DateTimeField(
        label=_("Started at"),
        widget=forms.DateTimeInput(attrs=_input(type="datetime-local"), format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M"],
    )
    duration_minutes = forms.IntegerField(
        label=_("Minutes"),
        min_value=0,
        max_value=1440,
        initial=0,
        widget=forms.NumberInput(attrs=_input()),
    )
    answered = forms.BooleanField(
        label=_("Answered"),
        required=False,
        initial=True,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs=_input(rows=2)),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["started_at"] = timezone.localtime().replace(second=0, microsecond=0)


class CtiSettingsForm(forms.Form):
    webhook_secret = forms.CharField(
        label=_("Webhook secret"),
        max_length=500,
        required=False,
        widget=forms.PasswordInput(attrs=_input(autocomplete="new-password")),
        help_text=_("Empty keeps the stored secret."),
    )
    call_back_minutes = forms.IntegerField(
        label=_("Call back a missed call within (business minutes)"),
        min_value=1,
        max_value=7 * 24 * 60,
        widget=forms.NumberInput(attrs=_input()),
    )


class ProviderForm(forms.Form):
    is_active = forms.BooleanField(
        label=_("Send SMS through this provider"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    base_url = forms.URLField(
        label=_("API URL"),
        max_length=500,
        assume_scheme="https",
        widget=forms.URLInput(attrs=_input()),
    )
    access_key_id = forms.CharField(
        label=_("Key id"), max_length=200, required=False, widget=forms.TextInput(attrs=_input())
    )
    access_key_secret = forms.CharField(
        label=_("Key secret"),
        max_length=500,
        required=False,
        widget=forms.PasswordInput(attrs=_input(autocomplete="new-password")),
        help_text=_("Empty keeps the stored secret."),
    )
    sign_name = forms.CharField(
        label=_("Sign name"), max_length=100, required=False, widget=forms.TextInput(attrs=_input())
    )
    template_code = forms.CharField(
        label=_("Template"), max_length=100, required=False, widget=forms.TextInput(attrs=_input())
    )
    sdk_app_id = forms.CharField(
        label=_("SMS app id (Tencent)"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs=_input()),
    )
    region = forms.CharField(
        label=_("Region"), max_length=50, required=False, widget=forms.TextInput(attrs=_input())
    )
    webhook_secret = forms.CharField(
        label=_("Webhook secret (inbound SMS and receipts)"),
        max_length=500,
        required=False,
        widget=forms.PasswordInput(attrs=_input(autocomplete="new-password")),
        help_text=_("Empty keeps the stored secret."),
    )


class TestSmsForm(forms.Form):
    to = forms.CharField(
        label=_("Send a test SMS to"),
        max_length=40,
        widget=forms.TextInput(attrs=_input(inputmode="tel")),
    )
