"""Template context shared by every page's chrome (navigation, unread notifications)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from bihuan.core.models import Notification

_CACHE_ATTRIBUTE = "_bihuan_chrome"


def chrome(request: HttpRequest) -> dict[str, Any]:
    """Computed once per request: a page whose panels are rendered with
    ``render_to_string(…, request=request)`` runs the context processors once per panel."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    cached: dict[str, Any] | None = getattr(request, _CACHE_ATTRIBUTE, None)
    if cached is None:
        unread = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
        cached = {"unread_notifications": unread}
        setattr(request, _CACHE_ATTRIBUTE, cached)
    return dict(cached)
