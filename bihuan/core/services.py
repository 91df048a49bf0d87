"""Core use cases: notifications and tags."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from bihuan.core.models import Notification, Tag


def mark_notifications_read(user: Any, *, ids: list[int] | None = None) -> int:
    """Mark the user's unread notifications (or only ``ids``) read; returns how many changed."""
    with transaction.atomic():
        rows = Notification.objects.filter(recipient=user, read_at__isnull=True)
        if ids is not None:
            rows = rows.filter(pk__in=ids)
        return rows.update(read_at=timezone.now())


def get_or_create_tags(names: list[str]) -> list[Tag]:
    """The tags with these names (trimmed, at most 50 characters), creating missing ones.

    Called inside the caller's transaction; blank names are ignored.
    """
    tags: list[Tag] = []
    for name in names:
        clean = name.strip()[:50]
        if clean:
            tag, _created = Tag.objects.get_or_create(name=clean)
            tags.append(tag)
    return tags
