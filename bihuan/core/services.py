"""Core use cases: notifications."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from bihuan.core.models import Notification


def mark_notifications_read(user: Any, *, ids: list[int] | None = None) -> int:
    """Mark the user's unread notifications (or only ``ids``) read; returns how many changed."""
    with transaction.atomic():
        rows = Notification.objects.filter(recipient=user, read_at__isnull=True)
        if ids is not None:
            rows = rows.filter(pk__in=ids)
        return rows.update(read_at=timezone.now())
