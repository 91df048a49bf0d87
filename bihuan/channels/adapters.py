"""The one small interface every message channel implements: take in, send out.

A channel adapter turns what its channel delivers (raw RFC 822 bytes, a webhook's JSON) into a
message on a ticket through the shared services, and sends one queued outbound message. The
engine's handlers and the receivers only talk to adapters, so a new channel (WeCom, Feishu,
SMS…) is one sub-package with one adapter registered here.
"""

from __future__ import annotations

from typing import Protocol

from bihuan.channels import services
from bihuan.channels.models import Mailbox
from bihuan.channels.services import IngestResult
from bihuan.tickets.choices import Channel


class ChannelAdapter(Protocol):
    """What a channel does; both calls are safe to repeat (idempotent)."""

    channel: str  # a tickets.choices.Channel value

    def receive(self, payload: bytes, *, source: Mailbox | None = None) -> IngestResult:
        """Store one inbound message exactly once, or quarantine it; never raises for bad
        input (only when nothing could be stored, so that the caller retries)."""
        ...

    def send(self, outbound_id: int, *, attempt: int) -> None:
        """Deliver one queued outbound message; raises to be retried by the engine."""
        ...


class EmailAdapter:
    channel: str = Channel.EMAIL

    def receive(self, payload: bytes, *, source: Mailbox | None = None) -> IngestResult:
        return services.ingest_email(payload, mailbox=source)

    def send(self, outbound_id: int, *, attempt: int) -> None:
        services.deliver_outbound_email(outbound_id, attempt=attempt)


_ADAPTERS: dict[str, ChannelAdapter] = {Channel.EMAIL: EmailAdapter()}


def register_adapter(adapter: ChannelAdapter) -> None:
    """Make ``adapter`` the one for its channel (each channel app calls it in ``ready``)."""
    _ADAPTERS[adapter.channel] = adapter


def adapter_for(channel: str) -> ChannelAdapter:
    """The adapter of ``channel``; KeyError for a channel that has none yet."""
    return _ADAPTERS[channel]
