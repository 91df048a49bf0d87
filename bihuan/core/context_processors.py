"""Template context shared by every page's chrome (navigation, unread notifications)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from bihuan.core.models import Notification


def chrome(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
    return {"unread_notifications": unread}
