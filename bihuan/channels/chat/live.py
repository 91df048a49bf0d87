"""The chat on the channel layer: agent replies to the visitor, typing both ways.

- A visitor message reaches the agents' open pages through the event log like every change
  (``bihuan.live``); nothing to do here.
- Typing is no event: the visitor's typing is announced in the ticket's presence group of the
  live workspace (``live.ticket.<id>``, type ``live.presence``, as the agents' ticket pages
  announce theirs), and each visitor connection listens in that group for agents typing.
- ``push`` sends to a group from synchronous code (the chat adapter's ``send`` runs in a
  request's thread, a ``bihuan worker`` or the embedded runner). Redis: from any thread. The
  in-memory layer of the embedded mode belongs to the event loop its consumers run on, so the
  message is handed to that loop (``attach``); with no visitor connected in this process
  nobody listens and nothing is sent (the visitor reads the reply from the history later).
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer

from bihuan.live.publishing import ticket_group

logger = logging.getLogger(__name__)

# Agents' pages compare this to their user id: a visitor is never one of them.
VISITOR_USER = 0
_server_loop: asyncio.AbstractEventLoop | None = None


def attach(loop: asyncio.AbstractEventLoop) -> None:
    """The loop this process's visitor connections run on (for the in-memory layer)."""
    global _server_loop  # one per process, like the live publisher's loop
    _server_loop = loop


def push(group: str, message: dict[str, Any]) -> None:
    """``group_send`` from synchronous code, whatever the layer."""
    layer = get_channel_layer()
    if layer is None:
        return
    if isinstance(layer, InMemoryChannelLayer):
        loop = _server_loop
        if loop is None or loop.is_closed():
            return
        asyncio.run_coroutine_threadsafe(layer.group_send(group, message), loop)
        return
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        async_to_sync(layer.group_send)(group, message)
        return
    # A loop runs in this thread (a caller inside async code, Playwright's sync API in a
    # test): send from a thread of its own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(async_to_sync(layer.group_send), group, message).result(timeout=10)


def visitor_group(visitor_key: str) -> str:
    """The channel-layer group every connection of one visitor joins."""
    return f"chat.visitor.{visitor_key}"


def presence_group(ticket_id: int) -> str:
    return ticket_group(ticket_id)


def visitor_presence(ticket_id: int, *, name: str, typing: bool, sender: str) -> dict[str, Any]:
    """The presence message of a visitor (shown on the ticket page as the customer typing)."""
    return {
        "type": "live.presence",
        "user": VISITOR_USER,
        "name": name,
        "state": "typing" if typing else "left",
        "sender": sender,
        "hello": False,
    }
