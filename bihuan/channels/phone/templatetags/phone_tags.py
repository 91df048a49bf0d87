"""Template filters of the phone pages."""

from __future__ import annotations

from django import template

from bihuan.channels.phone.events import duration_text

register = template.Library()


@register.filter
def call_duration(seconds: int | None) -> str:
    """``3 min 20 s`` of a call's length."""
    return duration_text(seconds)
