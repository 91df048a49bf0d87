"""``{% live_root %}``: the element the live script reads its settings from (base.html)."""

from __future__ import annotations

from typing import Any

from django import template

from bihuan.accounts.models import User
from bihuan.live import queries

register = template.Library()


@register.inclusion_tag("live/_root.html", takes_context=True)
def live_root(context: template.Context) -> dict[str, Any]:
    """The cursor (newest event id as the page renders) and the viewer's preferences: two
    primary-key queries per page (the cursor is also the horizon of a viewer not tracked yet)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_active:
        return {"enabled": False}
    cursor = queries.newest_event_id()
    return {
        "enabled": True,
        "cursor": cursor,
        "live": queries.get_live_settings(user, newest=cursor),
    }
