"""The LMTP receiver a mail server (Postfix, Exim) delivers to.

LMTP answers each recipient after the message data; this receiver answers ``250`` only after
the message is committed (stored or quarantined), and ``451`` (try again later) when it could
not be, so the mail server keeps the message in its queue: nothing is lost between the two.
Ingestion runs in a worker thread so one slow message never stalls the other connections.

Recipients are checked at ``RCPT TO``: an address that is none of our active mailboxes gets
``550 5.1.1`` there, so the mail server bounces it to its sender at once instead of us
storing mail nobody reads. A message to several of our mailboxes is stored once.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import Envelope, Session
from django.db import close_old_connections

from bihuan.channels.models import Mailbox
from bihuan.channels.services import IngestResult, ingest_email

logger = logging.getLogger(__name__)


def _is_our_mailbox(address: str) -> bool:
    close_old_connections()
    try:
        return Mailbox.objects.filter(address__iexact=address.strip(), is_active=True).exists()
    finally:
        close_old_connections()


def _ingest(raw: bytes, recipients: list[str]) -> IngestResult:
    close_old_connections()
    try:
        lowered = [r.strip().lower() for r in recipients]
        mailbox = Mailbox.objects.filter(address__in=lowered, is_active=True).order_by("pk").first()
        return ingest_email(raw, mailbox=mailbox)
    finally:
        close_old_connections()


class DeliveryHandler:
    """aiosmtpd handler: accepts our mailboxes' addresses, stores the message once for all."""

    async def handle_RCPT(
        self,
        server: Any,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        try:
            known = await asyncio.to_thread(_is_our_mailbox, address)
        except Exception:
            logger.exception("LMTP could not look up a recipient; the mail server retries")
            return "451 4.3.0 Temporary failure, try again later"
        if not known:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        count = max(1, len(envelope.rcpt_tos))
        try:
            result = await asyncio.to_thread(_ingest, raw, list(envelope.rcpt_tos))
        except Exception:
            logger.exception("LMTP delivery could not be stored; the mail server retries")
            return "\r\n".join(["451 4.3.0 Temporary failure, try again later"] * count)
        line = f"250 2.0.0 {result.line() or 'stored'}"
        # LMTP: one reply per accepted recipient (aiosmtpd writes the lines as given).
        return "\r\n".join([line] * count)


def make_server(*, data_size_limit: int) -> LMTP:
    return LMTP(
        DeliveryHandler(),
        data_size_limit=data_size_limit,
        enable_SMTPUTF8=True,
        decode_data=False,
        hostname="bihuan",
        ident="Bihuan LMTP",
    )


async def serve(
    *, host: str = "127.0.0.1", port: int = 2424, socket_path: str = "", data_size_limit: int
) -> asyncio.AbstractServer:
    """Start listening (TCP, or a Unix socket when ``socket_path`` is given)."""
    loop = asyncio.get_running_loop()
    if socket_path:
        return await loop.create_unix_server(
            lambda: make_server(data_size_limit=data_size_limit), path=socket_path
        )
    return await loop.create_server(
        lambda: make_server(data_size_limit=data_size_limit), host=host, port=port
    )
