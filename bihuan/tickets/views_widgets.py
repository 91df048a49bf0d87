"""A form renderer for the ticket page's many widgets, with Django's output byte for byte.

Django renders every widget, and every ``<option>`` of a select, through a template include
with a context copy: the ticket page's forms (about thirty fields, the owner select alone
with one option per agent) took a quarter of the page's CPU time (bench/render_cost.py,
docs/performance.md "Rendering"). ``FastWidgetRenderer`` writes the HTML of Django's own
``input``, ``textarea`` and ``select`` templates directly from the same widget context
(``widget.get_context``, so attributes, ids, ``required``, ``selected`` and ``checked`` are
still Django's), and hands any other template to the default renderer. The output is the
same string: ``tests/test_views_widgets.py`` compares the two on every field of the page's
forms.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.forms import Form
from django.forms.renderers import BaseRenderer, get_default_renderer
from django.http import HttpRequest
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData

_WIDGETS = "django/forms/widgets/"
_INPUTS = frozenset(
    _WIDGETS + name + ".html"
    for name in (
        "input",
        "text",
        "number",
        "email",
        "url",
        "search",
        "tel",
        "password",
        "hidden",
        "date",
        "datetime",
        "time",
        "checkbox",
    )
)
_SELECT = _WIDGETS + "select.html"
_OPTION = _WIDGETS + "select_option.html"
_TEXTAREA = _WIDGETS + "textarea.html"


def _formatted(value: Any) -> str:
    """``{{ value|stringformat:'s' }}`` under autoescaping."""
    text = "%s" % (str(value) if isinstance(value, tuple) else value)
    return text if isinstance(value, SafeData) else str(escape(text))


def _attrs(attrs: Mapping[str, Any]) -> str:
    """django/forms/widgets/attrs.html."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(f" {conditional_escape(name)}")
        if value is not True:
            parts.append(f'="{_formatted(value)}"')
    return "".join(parts)


def _input(widget: Mapping[str, Any]) -> str:
    value = widget["value"]
    shown = f' value="{_formatted(value)}"' if value is not None else ""
    return (
        f'<input type="{conditional_escape(widget["type"])}" '
        f'name="{conditional_escape(widget["name"])}"{shown}{_attrs(widget["attrs"])}>'
    )


def _select(widget: Mapping[str, Any]) -> str | None:
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    groups: Iterable[tuple[Any, list[dict[str, Any]], int]] = widget["optgroups"]
    for group_name, options, _index in groups:
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        for option in options:
            if option["template_name"] != _OPTION:
                return None
            parts.append(
                f'\n  <option value="{_formatted(option["value"])}"{_attrs(option["attrs"])}>'
                f"{conditional_escape(option['label'])}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _textarea(widget: Mapping[str, Any]) -> str:
    value = widget["value"]
    body = conditional_escape(value) if value else ""
    return (
        f'<textarea name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>\n'
        f"{body}</textarea>"
    )


class FastWidgetRenderer(BaseRenderer):
    """Django's widget HTML without a template per widget and per option; every other
    template (labels, errors, whole forms, other widgets) goes to the default renderer."""

    def __init__(self, fallback: BaseRenderer | None = None) -> None:
        self.fallback = fallback or get_default_renderer()

    def get_template(self, template_name: str) -> Any:
        return self.fallback.get_template(template_name)

    def render(
        self, template_name: str, context: dict[str, Any], request: HttpRequest | None = None
    ) -> str:
        widget = context.get("widget")
        html: str | None = None
        if widget is not None:
            if template_name in _INPUTS:
                html = _input(widget)
            elif template_name == _SELECT:
                html = _select(widget)
            elif template_name == _TEXTAREA:
                html = _textarea(widget)
        if html is None:
            return str(self.fallback.render(template_name, context, request=request))
        return html.strip()


FAST_WIDGETS = FastWidgetRenderer()


def with_fast_widgets(*forms: Form) -> None:
    """Render these forms' widgets with ``FastWidgetRenderer`` (the same HTML, less CPU)."""
    for form in forms:
        form.renderer = FAST_WIDGETS
