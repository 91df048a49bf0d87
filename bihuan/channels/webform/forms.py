"""The public contact form: what a visitor may send, and a honeypot for bots."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from bihuan.channels.services import UPLOAD_MAX_FILE_BYTES, UPLOAD_MAX_FILES
from bihuan.tickets.models import Category


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented pattern); the service checks them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class ContactForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(label=_("Description"), max_length=10_000, widget=forms.Textarea)
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.filter(parent__isnull=True),
        required=False,
        empty_label=_("Not sure"),
    )
    name = forms.CharField(label=_("Your name"), max_length=100)
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    attachments = MultipleFileField(label=_("Attachments"), required=False)
    # Hidden from people by CSS and aria-hidden; bots fill every field they find.
    website = forms.CharField(label=_("Website"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            css = "form-select" if name == "category" else "form-control"
            field.widget.attrs.setdefault("class", css)
        self.fields["description"].widget.attrs["rows"] = 6
        self.fields["website"].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})
        # Formatted per request, so that it is in the visitor's language.
        self.fields["attachments"].help_text = _(
            "At most %(count)d files of up to %(limit)d MB each (photos, receipts, PDFs)."
        ) % {"count": UPLOAD_MAX_FILES, "limit": UPLOAD_MAX_FILE_BYTES // (1024 * 1024)}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("email") and not (data.get("phone") or "").strip():
            raise forms.ValidationError(_("Leave an email address or a phone number."))
        return data

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get("website"))
