"""The chat widget's settings form (an admin's page in Bihuan)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from bihuan.accounts.models import Team
from bihuan.channels.chat.models import ChatWidget


class WidgetForm(forms.ModelForm):  # type: ignore[type-arg]
    team = forms.ModelChoiceField(
        Team.objects.order_by("name"), required=False, label=_("Queue"),
        empty_label=_("Any queue (every online agent)"),
    )  # fmt: skip

    class Meta:
        model = ChatWidget
        fields = [
            "name",
            "allowed_origins",
            "team",
            "greeting",
            "offline_message",
            "max_chats_per_agent",
            "is_active",
        ]
        widgets = {
            "allowed_origins": forms.Textarea(attrs={"rows": 3}),
            "greeting": forms.Textarea(attrs={"rows": 2}),
            "offline_message": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for name, field in self.fields.items():
            css = "form-check-input" if name == "is_active" else "form-control form-control-sm"
            if name == "team":
                css = "form-select form-select-sm"
            field.widget.attrs.setdefault("class", css)
            field.widget.attrs["data-testid"] = f"widget-{name}"
