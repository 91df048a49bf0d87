"""Periodic work of the chat widget."""

from __future__ import annotations

from datetime import timedelta

from bihuan.channels.chat import queue
from bihuan.core.due_work import due_work, every
from bihuan.core.models import DueItem


@due_work("chat.assign_waiting_chats", atomic=False, repeat=every(timedelta(minutes=1)))
def assign_waiting_chats(item: DueItem) -> None:
    """The waiting chats once a minute, for room that freed without an event (an admin
    raising an agent's own maximum of concurrent chats in the admin site)."""
    queue.assign_waiting_chats()
