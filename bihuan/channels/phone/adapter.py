"""The SMS channel's adapter (``bihuan.channels.adapters``).

``receive`` takes the inbound-SMS JSON of our webhook (``{"provider", "id", "from",
"text"}``) once its signature was checked by the view; ``send`` delivers one queued
``OutboundSms``."""

from __future__ import annotations

import json

from bihuan.channels.choices import InboundStatus
from bihuan.channels.models import Mailbox
from bihuan.channels.phone import services
from bihuan.channels.services import IngestResult
from bihuan.core.errors import DomainError
from bihuan.tickets.choices import Channel


class SmsAdapter:
    channel: str = Channel.SMS

    def receive(self, payload: bytes, *, source: Mailbox | None = None) -> IngestResult:
        try:
            data = json.loads(payload.decode("utf-8"))
            if not isinstance(data, dict):
                raise ValueError("not an object")
            provider = services.provider_of(str(data.get("provider", "")))
            result = services.receive_inbound_sms(
                provider,
                message_id=str(data.get("id", "")),
                sender=str(data.get("from", "")),
                text=str(data.get("text", "")),
            )
        except (ValueError, DomainError) as exc:
            return IngestResult(status="quarantined", reason=str(exc))
        return IngestResult(
            status=InboundStatus.ON_TICKET,
            ticket_number=result.message.ticket_id,
            is_duplicate=result.duplicate,
        )

    def send(self, outbound_id: int, *, attempt: int) -> None:
        services.deliver_sms(outbound_id, attempt=attempt)
