"""What the messaging platforms add to the ticket page: the delivery state of each reply sent
on a platform (queued, sent, or failed with the platform's reason — a file too large for it,
the Official Account's 48-hour window), beside the reply.

Registered with the tickets app's one-way hook (``bihuan.tickets.panels``).
"""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from bihuan.channels.messaging.choices import DeliveryState, Direction, Platform
from bihuan.channels.messaging.models import PlatformMessage
from bihuan.tickets.choices import MessageKind
from bihuan.tickets.models import Message
from bihuan.tickets.panels import register_message_notes

_BADGE = {
    DeliveryState.QUEUED: "text-bg-secondary",
    DeliveryState.SENT: "text-bg-success",
    DeliveryState.FAILED: "text-bg-danger",
}


def platform_delivery_notes(messages: list[Message]) -> dict[int, SafeString]:
    """The delivery state of each platform reply among ``messages`` (one query for them all;
    none on a page without such a reply)."""
    channels = {m.pk: m.channel for m in messages}
    ids = [m.pk for m in messages if m.kind == MessageKind.REPLY and m.channel in Platform.values]
    if not ids:
        return {}
    notes: dict[int, SafeString] = {}
    rows = PlatformMessage.objects.filter(
        direction=Direction.OUTBOUND, ticket_message_id__in=ids
    ).values_list("ticket_message_id", "state", "last_error")
    for message_id, state, last_error in rows:
        if message_id is None or state not in _BADGE:
            continue
        status = DeliveryState(state)
        if status == DeliveryState.FAILED:
            label = _("Failed: %(reason)s") % {"reason": last_error or "—"}
        else:
            label = str(status.label)
        notes[message_id] = format_html(
            '<span class="badge {} delivery-state" data-testid="platform-delivery-state"'
            ' data-delivery="{}" title="{}">{}</span>',
            _BADGE[status],
            status.value,
            _("Delivery on %(platform)s") % {"platform": Platform(channels[message_id]).label},
            label,
        )
    return notes


register_message_notes("platform_delivery", platform_delivery_notes)
