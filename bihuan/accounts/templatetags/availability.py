"""``{% availability_choices as choices %}``: the values and translated labels of the top
bar's availability menu."""

from __future__ import annotations

from typing import Any

from django import template

from bihuan.accounts.choices import Availability

register = template.Library()


@register.simple_tag
def availability_choices() -> list[tuple[str, Any]]:
    return list(Availability.choices)
