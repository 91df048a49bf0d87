"""The visitor's WebSocket: ``/ws/chat/<public key>/`` from the widget on a company's site.

The handshake is refused (HTTP 403) unless the key names an active widget and the browser's
``Origin`` is one of the widget's allowed origins. Then the widget speaks JSON frames:

    → {"type": "hello", "token": "…", "after": 41}      first frame: who I am, what I have
    ← {"type": "welcome", "token": "…", "online": true, "identified": false,
       "greeting": "…", "offline_message": "…", "history": [entry, …]}
    → {"type": "message", "client_id": "c-…", "body": "…"}
    ← {"type": "ack", "client_id": "c-…", "entry": entry, "duplicate": false}
    ← {"type": "entry", "entry": {"id": 57, "from": "agent", "body": "…", "author": "李娜"}}
    → {"type": "typing", "typing": true}                 ← {"type": "typing", "typing": true}
    ← {"type": "queue", "waiting": true, "position": 3}  a chat waiting for an agent: after
       its ack and whenever its place changes; {"waiting": false, "position": null} once an
       agent has it (``welcome`` carries the place as "queue": 3 or null)
    → {"type": "identify", "name": "…", "email": "…", "phone": "…"}
    ← {"type": "identified"}
    ← {"type": "error", "code": "rate_limited" | "too_large" | …, "message": "…", "client_id": …}

A frame larger than ``MAX_FRAME_CHARS`` is refused whole (nothing stored); every refusal
names the client id it refuses, so the widget keeps that message and shows why.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.utils.translation import gettext as _

from bihuan.channels.chat import live, queue, services
from bihuan.channels.chat.models import ChatWidget
from bihuan.core.errors import DomainError

MAX_FRAME_CHARS = 16_000
TYPING_EVERY_SECONDS = 1.0
# The widget sends the client id first, so a refused oversize frame can still name it.


_CLIENT_ID_AHEAD = re.compile(r'"client_id"\s*:\s*"([A-Za-z0-9_-]{1,64})"')


def _origin(scope: Any) -> str:
    for name, value in scope.get("headers", []):
        if name == b"origin":
            return bytes(value).decode("latin-1")
    return ""


class VisitorConsumer(AsyncWebsocketConsumer):
    """One visitor's browser tab connected through one widget."""

    widget: ChatWidget | None = None
    visitor_key: str = ""
    group: str = ""
    ticket_id: int | None = None
    customer_name: str = ""
    last_typing: float = 0.0

    async def connect(self) -> None:
        key = str(self.scope["url_route"]["kwargs"].get("public_key", ""))
        self.widget = await database_sync_to_async(services.find_widget)(key, _origin(self.scope))
        if self.widget is None:
            await self.close(code=4403)  # before accept: the handshake is refused (403)
            return
        live.attach(asyncio.get_running_loop())
        await self.accept()
        if self.channel_layer is not None:
            await self.channel_layer.group_add(
                services.widget_group(self.widget.pk), self.channel_name
            )

    async def disconnect(self, code: int) -> None:
        if self.channel_layer is None or self.widget is None:
            return
        await self.channel_layer.group_discard(
            services.widget_group(self.widget.pk), self.channel_name
        )
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)
        if self.ticket_id is not None:
            await self._typing(False)
            await self.channel_layer.group_discard(
                live.presence_group(self.ticket_id), self.channel_name
            )

    async def _follow_ticket(self) -> None:
        """Listen in the current ticket's presence group (agents typing)."""
        current = await database_sync_to_async(services.current_ticket)(self.visitor_key)
        ticket_id = current[0] if current else None
        if ticket_id == self.ticket_id or self.channel_layer is None:
            return
        if self.ticket_id is not None:
            await self.channel_layer.group_discard(
                live.presence_group(self.ticket_id), self.channel_name
            )
        self.ticket_id = ticket_id
        self.customer_name = current[1] if current else ""
        if ticket_id is not None:
            await self.channel_layer.group_add(live.presence_group(ticket_id), self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is None or len(text_data) > MAX_FRAME_CHARS:
            found = _CLIENT_ID_AHEAD.search((text_data or "")[:300])
            client_id = found.group(1) if found else ""
            await self._error("too_large", _("This message is too long."), client_id)
            return
        try:
            frame = json.loads(text_data)
        except ValueError:
            frame = None
        if not isinstance(frame, dict):
            await self._error("invalid", _("Unreadable frame."))
            return
        kind = frame.get("type")
        if kind == "hello":
            await self._hello(frame)
        elif not self.visitor_key:
            await self._error("hello_first", _("Say hello first."))
        elif kind == "message":
            await self._message(frame)
        elif kind == "typing":
            await self._typing(bool(frame.get("typing")))
        elif kind == "identify":
            await self._identify(frame)
        else:
            await self._error("invalid", _("Unknown frame type."))

    # --- frames from the widget ---------------------------------------------------------

    async def _hello(self, frame: dict[str, Any]) -> None:
        assert self.widget is not None
        widget = self.widget
        token = frame.get("token")
        key, token = services.open_visitor_session(widget, token if isinstance(token, str) else "")
        if self.group and self.channel_layer is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
        self.visitor_key = key
        self.group = live.visitor_group(key)
        if self.channel_layer is not None:
            await self.channel_layer.group_add(self.group, self.channel_name)
        after = frame.get("after")
        state = await database_sync_to_async(_welcome)(
            widget, key, after if isinstance(after, int) else 0
        )
        await self._send({"type": "welcome", "token": token, **state})
        await self._follow_ticket()

    async def _message(self, frame: dict[str, Any]) -> None:
        assert self.widget is not None
        client_id = self._client_id(frame)
        body = frame.get("body")
        try:
            received = await database_sync_to_async(services.receive_visitor_message)(
                self.widget,
                visitor_key=self.visitor_key,
                client_id=client_id,
                body=body if isinstance(body, str) else "",
            )
        except DomainError as error:
            await self._error(error.code, str(error), client_id)
            return
        await self._send(
            {
                "type": "ack",
                "client_id": client_id,
                "entry": received.entry.as_json(),
                "duplicate": received.is_duplicate,
            }
        )
        if received.queue_position is not None:
            await self._send(queue.waiting_frame(received.queue_position))
        if received.ticket_id != self.ticket_id:
            await self._follow_ticket()

    async def _typing(self, typing: bool) -> None:
        now = time.monotonic()
        if typing and now - self.last_typing < TYPING_EVERY_SECONDS:
            return  # at most one typing signal a second per connection
        if not typing and not self.last_typing:
            return  # not typing before either
        self.last_typing = now if typing else 0.0
        if self.ticket_id is None or self.channel_layer is None:
            return
        await self.channel_layer.group_send(
            live.presence_group(self.ticket_id),
            live.visitor_presence(
                self.ticket_id, name=self.customer_name, typing=typing, sender=self.channel_name
            ),
        )

    async def _identify(self, frame: dict[str, Any]) -> None:
        assert self.widget is not None
        values = {name: str(frame.get(name) or "")[:254] for name in ("name", "email", "phone")}
        try:
            await database_sync_to_async(services.identify_visitor)(
                self.widget, visitor_key=self.visitor_key, **values
            )
        except DomainError as error:
            await self._error(error.code, str(error))
            return
        await self._send({"type": "identified"})

    # --- messages from the channel layer ------------------------------------------------

    async def chat_entry(self, event: dict[str, Any]) -> None:
        """An agent's reply (``services.deliver_chat_reply``)."""
        await self._send({"type": "entry", "entry": event["entry"]})

    async def chat_queue(self, event: dict[str, Any]) -> None:
        """The chat's place in the queue changed, or an agent took it (``queue``)."""
        await self._send(event["frame"])

    async def chat_close(self, event: dict[str, Any]) -> None:
        """The widget was switched off or its key replaced: end this connection (the widget
        tries again, and is refused if it may no longer connect)."""
        await self.close(code=4000)

    async def live_presence(self, event: dict[str, Any]) -> None:
        """An agent's ticket page on this visitor's ticket: typing a reply, or not (the
        agent's name stays with the agents)."""
        if event.get("sender") == self.channel_name or event.get("user") == live.VISITOR_USER:
            return
        await self._send({"type": "typing", "typing": event.get("state") == "typing"})

    # --- helpers -------------------------------------------------------------------------

    @staticmethod
    def _client_id(frame: dict[str, Any] | None) -> str:
        value = frame.get("client_id") if frame else None
        return value[:64] if isinstance(value, str) else ""

    async def _error(self, code: str, message: str, client_id: str = "") -> None:
        frame = {"type": "error", "code": code, "message": message, "client_id": client_id}
        await self._send(frame)

    async def _send(self, frame: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(frame, ensure_ascii=False))


def _welcome(widget: ChatWidget, visitor_key: str, after: int) -> dict[str, Any]:
    return {
        "online": services.agents_online(widget),
        "identified": services.is_identified(visitor_key),
        "greeting": widget.greeting,
        "offline_message": widget.offline_message,
        "queue": services.waiting_position(widget, visitor_key),
        "history": [
            entry.as_json()
            for entry in services.history(widget, visitor_key=visitor_key, after=after)
        ],
    }
