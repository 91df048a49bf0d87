"""The chat channel behind the one adapter interface (``bihuan.channels.adapters``)."""

from __future__ import annotations

import json

from bihuan.channels.chat import services
from bihuan.channels.chat.models import ChatWidget
from bihuan.channels.models import Mailbox
from bihuan.channels.services import IngestResult
from bihuan.tickets.choices import Channel


class ChatAdapter:
    """In: a visitor message as JSON (``{"widget": public key, "visitor": key, "client_id":
    …, "body": …}``; the visitor's WebSocket calls the service directly). Out: an agent's chat
    reply pushed to the visitor's open connections."""

    channel: str = Channel.CHAT

    def receive(self, payload: bytes, *, source: Mailbox | None = None) -> IngestResult:
        try:
            data = json.loads(payload)
            widget = ChatWidget.objects.get(public_key=str(data["widget"]), is_active=True)
            received = services.receive_visitor_message(
                widget,
                visitor_key=str(data["visitor"]),
                client_id=str(data["client_id"]),
                body=str(data["body"]),
            )
        except (ValueError, KeyError, TypeError, ChatWidget.DoesNotExist) as error:
            return IngestResult(status="quarantined", reason=f"{type(error).__name__}")
        return IngestResult(
            status="on_ticket",
            ticket_number=received.ticket_id,
            is_duplicate=received.is_duplicate,
        )

    def send(self, outbound_id: int, *, attempt: int) -> None:
        services.deliver_chat_reply(outbound_id, attempt=attempt)
