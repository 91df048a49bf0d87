"""The messaging platforms behind the channels' adapter interface (``channels.adapters``)."""

from __future__ import annotations

from bihuan.channels.messaging import services
from bihuan.channels.messaging.choices import Platform
from bihuan.channels.models import Mailbox
from bihuan.channels.services import IngestResult


class PlatformAdapter:
    """Sends queued replies; inbound arrives through each platform's callback view
    (``views.callback``), which needs the request's signature headers, not raw bytes."""

    def __init__(self, channel: str) -> None:
        self.channel = channel

    def receive(self, payload: bytes, *, source: Mailbox | None = None) -> IngestResult:
        raise NotImplementedError("platform messages arrive through the callback view")

    def send(self, outbound_id: int, *, attempt: int) -> None:
        services.deliver_platform_reply(outbound_id, attempt=attempt)


ADAPTERS = [PlatformAdapter(platform) for platform in Platform.values]
