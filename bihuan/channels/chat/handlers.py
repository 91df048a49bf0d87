"""The chat channel on the background engine: an agent's chat reply goes to the visitor.

A consumer of ``ticket.message_added`` (replies on the chat channel) hands each reply to the
chat adapter's ``send``, which pushes it through the channel layer to every open connection of
the ticket's visitor. The event log makes it at-least-once; the widget keeps each message id
once, and a visitor who was away reads the reply from the history when they reconnect.
"""

from __future__ import annotations

from collections.abc import Sequence

from bihuan.channels.adapters import adapter_for
from bihuan.core.consumers import consumer
from bihuan.core.models import Event
from bihuan.tickets.choices import Channel, MessageKind


@consumer(
    "chat.deliver_replies",
    verbs=("ticket.message_added",),
    # The event does not name the reply's channel: ``deliver_chat_reply`` skips the others.
    accepts=lambda event: event.data.get("kind") == MessageKind.REPLY,
    atomic=False,
)
def deliver_replies(events: Sequence[Event]) -> None:
    adapter = adapter_for(Channel.CHAT)
    for event in events:
        message_id = event.data.get("message")
        if isinstance(message_id, int):
            adapter.send(message_id, attempt=1)
