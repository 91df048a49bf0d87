"""The admin's order number patterns: the list, and the form with a live preview."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from bihuan.accounts.views import signed_in_user
from bihuan.core.errors import NotFound, ValidationFailed
from bihuan.core.views import domain_errors
from bihuan.triage import order_numbers
from bihuan.triage.models import OrderNumberPattern

MAX_ID = 2**62
# Refusals of the service that concern one field of the form.
ERROR_FIELDS = {
    "regex_required": "regex",
    "regex_too_long": "regex",
    "regex_invalid": "regex",
    "regex_group": "regex",
    "example_required": "example",
    "example_mismatch": "example",
    "name": "name",
    "position": "position",
}
_INPUT = {"class": "form-control form-control-sm"}


class PatternForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("name"), max_length=100, widget=forms.TextInput(_INPUT)
    )
    regex = forms.CharField(
        label=gettext_lazy("regular expression"),
        max_length=order_numbers.MAX_REGEX,
        help_text=gettext_lazy(
            "A Python regular expression. Put the number in a group named number, "
            "(?P<number>…), to require words around it."
        ),
        widget=forms.TextInput({**_INPUT, "class": "form-control form-control-sm font-monospace"}),
        strip=False,
    )
    example = forms.CharField(
        label=gettext_lazy("example"),
        max_length=200,
        help_text=gettext_lazy("A message the pattern must find a number in."),
        widget=forms.TextInput(_INPUT),
    )
    sample = forms.CharField(
        label=gettext_lazy("try it on"),
        required=False,
        max_length=2000,
        help_text=gettext_lazy("Any text to preview the pattern on (not saved)."),
        widget=forms.Textarea({**_INPUT, "rows": 3}),
    )
    position = forms.IntegerField(
        label=gettext_lazy("position"),
        min_value=0,
        max_value=10_000,
        initial=0,
        widget=forms.NumberInput(_INPUT),
    )
    is_active = forms.BooleanField(
        label=gettext_lazy("active"),
        required=False,
        initial=True,
        widget=forms.CheckboxInput({"class": "form-check-input"}),
    )

    def to_input(self) -> order_numbers.PatternInput:
        data = self.cleaned_data
        return order_numbers.PatternInput(
            name=data["name"],
            regex=data["regex"],
            example=data["example"],
            is_active=data["is_active"],
            position=data["position"],
        )


def _initial(pattern: OrderNumberPattern | None) -> dict[str, object]:
    if pattern is None:
        return {"is_active": True, "position": 0}
    return {
        "name": pattern.name,
        "regex": pattern.regex,
        "example": pattern.example,
        "position": pattern.position,
        "is_active": pattern.is_active,
    }


@login_required
@require_GET
@domain_errors
def pattern_list(request: HttpRequest) -> HttpResponse:
    patterns = order_numbers.list_patterns(signed_in_user(request))
    return render(request, "triage/order_number_patterns.html", {"patterns": patterns})


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def pattern_edit(request: HttpRequest, pattern_id: int | None = None) -> HttpResponse:
    """Edit (or create) a pattern; ``action=preview`` shows what it finds in the example and
    the sample text, before anything is saved."""
    user = signed_in_user(request)
    if pattern_id is not None and pattern_id > MAX_ID:
        raise NotFound(_("Pattern not found."))
    pattern = order_numbers.get_pattern(user, pattern_id) if pattern_id else None
    if pattern is None:
        order_numbers.list_patterns(user)  # admins only
    form = PatternForm(request.POST or None, initial=_initial(pattern))
    preview: dict[str, list[str]] | None = None
    if request.method == "POST" and form.is_valid():
        try:
            if request.POST.get("action") == "preview":
                preview = order_numbers.preview_pattern(
                    form.cleaned_data["regex"],
                    example=form.cleaned_data["example"],
                    sample=form.cleaned_data["sample"],
                )
            else:
                saved = order_numbers.save_order_number_pattern(
                    form.to_input(), actor=user, pattern=pattern
                )
                messages.success(request, _("Pattern “%(name)s” saved.") % {"name": saved.name})
                return redirect("order_numbers:patterns")
        except ValidationFailed as exc:
            field = ERROR_FIELDS.get(exc.code)
            form.add_error(field if field in form.fields else None, str(exc))
    context = {"form": form, "pattern": pattern, "preview": preview}
    if getattr(request, "htmx", False) and request.method == "POST":
        return render(request, "triage/_order_number_preview.html", context)
    return render(
        request,
        "triage/order_number_pattern_form.html",
        context,
        status=422 if form.errors else 200,
    )
