"""The chat channel on the background engine.

- ``chat.deliver_replies``: a consumer of ``ticket.message_added`` (replies on the chat
  channel) hands each reply to the chat adapter's ``send``, which pushes it through the
  channel layer to every open connection of the ticket's visitor. The event log makes it
  at-least-once; the widget keeps each message id once, and a visitor who was away reads the
  reply from the history when they reconnect.
- ``chat.assign_waiting_chats``: whenever room for a chat may have freed (a ticket solved,
  closed or given to someone else, an agent back online, a widget's limit or queue changed,
  a chat just queued), the waiting chats go, oldest first, to agents with room
  (``queue.assign_waiting_chats``; idempotent: it assigns only chats still unowned, under
  their row lock). ``tasks.assign_waiting_chats`` runs it once a minute as well.
"""

from __future__ import annotations

from collections.abc import Sequence

from bihuan.accounts.choices import Availability
from bihuan.channels.adapters import adapter_for
from bihuan.channels.chat import queue
from bihuan.core.consumers import consumer
from bihuan.core.models import Event
from bihuan.tickets.choices import Channel, MessageKind, TicketStatus


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


def _may_free_room(event: Event) -> bool:
    """Events after which a waiting chat may find an agent with room."""
    data = event.data if isinstance(event.data, dict) else {}
    if event.verb == "ticket.status_changed":  # a chat solved or closed
        return data.get("to") in (TicketStatus.SOLVED, TicketStatus.CLOSED)
    if event.verb == "ticket.assigned":  # given to someone else, or back to the queue
        return data.get("from") is not None
    if event.verb == "agent.availability_changed":
        return data.get("to") == Availability.ONLINE
    if event.verb == "chat.widget_changed":
        changes = data.get("changes")
        return isinstance(changes, dict) and bool({"max_chats_per_agent", "team"} & set(changes))
    return event.verb == "chat.queued"


@consumer(
    "chat.assign_waiting_chats",
    verbs=(
        "ticket.status_changed",
        "ticket.assigned",
        "agent.availability_changed",
        "chat.widget_changed",
        "chat.queued",
    ),
    # The events do not say whether the ticket was a chat: one run of the queue per batch
    # answers for all of them (an empty queue is one indexed read).
    accepts=_may_free_room,
    atomic=False,  # one transaction per chat placed (``queue.assign_waiting_chats``)
)
def assign_waiting_chats(events: Sequence[Event]) -> None:
    queue.assign_waiting_chats()
