"""Forms of the customer pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class CustomerSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search customers"),
        max_length=200,
        required=False,
        widget=forms.TextInput(
            attrs={
                "class": "form-control form-control-sm",
                "placeholder": _("Name, phone or email"),
                "type": "search",
            }
        ),
    )
    cursor = forms.CharField(max_length=500, required=False)


class MergeForm(forms.Form):
    """Which customer to merge into the one whose page this is."""

    merged = forms.IntegerField(label=_("Customer to merge"), min_value=1, max_value=2**62)
