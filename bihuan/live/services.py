"""The writers of the live workspace's per-user state (read markers and preferences).

No events: see ``models``. Each function is one small upsert, safe to repeat.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from bihuan.accounts.models import User
from bihuan.core.models import Event
from bihuan.live.models import LiveSettings, TicketRead


def ensure_live_settings(user: User) -> LiveSettings:
    """The user's row, created with the read horizon at the newest event on first use."""
    existing = LiveSettings.objects.filter(user_id=user.pk).first()
    if existing is not None:
        return existing
    newest = int(Event.objects.aggregate(newest=Max("id"))["newest"] or 0)
    with transaction.atomic():
        row, _created = LiveSettings.objects.get_or_create(
            user_id=user.pk,
            defaults={"read_horizon_event_id": newest, "read_horizon_at": timezone.now()},
        )
    return row


def update_live_settings(user: User, *, desktop_notifications: bool, sound: bool) -> LiveSettings:
    """Turn the desktop notification and the sound for new chats and mentions on or off."""
    row = ensure_live_settings(user)
    LiveSettings.objects.filter(pk=row.pk).update(
        desktop_notifications=desktop_notifications, sound=sound
    )
    row.desktop_notifications = desktop_notifications
    row.sound = sound
    return row


def mark_ticket_read(user: User, *, ticket_id: int, event_id: int | None = None) -> None:
    """Mark ``ticket_id`` read by ``user`` up to ``event_id`` (its newest event by default).

    Never moves a marker back: a page that delivers an older event after a newer one (two
    tabs, a late commit) leaves the newer marker.
    """
    if event_id is None:
        newest = Event.objects.filter(ticket_id=ticket_id).aggregate(newest=Max("id"))["newest"]
        event_id = int(newest or 0)
    now = timezone.now()
    with transaction.atomic():
        updated = TicketRead.objects.filter(
            Q(last_event_id__lt=event_id), user_id=user.pk, ticket_id=ticket_id
        ).update(last_event_id=event_id, read_at=now)
        if updated:
            return
        if TicketRead.objects.filter(user_id=user.pk, ticket_id=ticket_id).exists():
            return
        TicketRead.objects.bulk_create(
            [TicketRead(user_id=user.pk, ticket_id=ticket_id, last_event_id=event_id, read_at=now)],
            ignore_conflicts=True,
        )
    # Another tab may have inserted a lower marker between the update and the insert.
    TicketRead.objects.filter(
        user_id=user.pk, ticket_id=ticket_id, last_event_id__lt=event_id
    ).update(last_event_id=event_id, read_at=now)
