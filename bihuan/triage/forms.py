"""The rule editor's form: plain Django validation, then the service's own checks."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from bihuan.triage.choices import RuleLanguage
from bihuan.triage.models import TriageRule
from bihuan.triage.services import RuleInput


class RuleForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = TriageRule
        fields = [
            "name",
            "field",
            "value",
            "language",
            "patterns",
            "weight",
            "is_always",
            "is_active",
            "position",
        ]
        widgets = {
            "patterns": forms.Textarea(attrs={"rows": 8, "class": "font-monospace"}),
        }
        help_texts = {"patterns": _("One keyword per line; start a line with re: for a regex.")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs["class"] = "form-check-input"
            elif isinstance(widget, forms.Select):
                widget.attrs["class"] = "form-select form-select-sm"
            else:
                widget.attrs["class"] = (
                    f"form-control form-control-sm {widget.attrs.get('class', '')}"
                )

    def to_input(self) -> RuleInput:
        data = self.cleaned_data
        return RuleInput(
            name=data["name"],
            field=data["field"],
            value=str(data["value"]).strip(),
            patterns=data["patterns"],
            language=data["language"] or RuleLanguage.ANY,
            weight=float(data["weight"]),
            is_always=bool(data["is_always"]),
            is_active=bool(data["is_active"]),
            position=int(data["position"] or 0),
        )
