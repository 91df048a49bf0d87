"""Core use cases: notifications, tags, and retrying parked background work."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from bihuan.core import wakeups
from bihuan.core.due_work import retry_parked
from bihuan.core.models import DueItem, Notification, Reaction, Tag, WorkState


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


def retry_parked_work(
    *,
    reaction_ids: Iterable[int] = (),
    due_item_ids: Iterable[int] = (),
    everything: bool = False,
) -> int:
    """Put parked reactions and due items back in the queue, due now, attempts reset (an
    admin's retry by hand, once the cause is fixed). Returns how many rows were retried."""
    now = timezone.now()
    with transaction.atomic():
        reactions = Reaction.objects.filter(state=WorkState.PARKED)
        if not everything:
            reactions = reactions.filter(pk__in=list(reaction_ids))
        count = reactions.update(
            state=WorkState.PENDING, available_at=now, attempts=0, claimed_by=""
        )
        items = DueItem.objects.filter(state=WorkState.PARKED)
        ids = list(items.values_list("pk", flat=True)) if everything else list(due_item_ids)
        count += retry_parked(ids)
        wakeups.wake_after_commit()
    return count
