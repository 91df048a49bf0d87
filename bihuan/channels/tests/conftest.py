"""Fixtures of the channels tests: a temporary storage folder, a real IMAP server, and a real
SMTP server on loopback (aiosmtpd) that keeps what it is given.

Dovecot (Debian's dovecot-imapd, installed by ``make system-packages``) is started once per
test session on a spare loopback port with its configuration in a temporary folder. A test
that needs it fails — never skips — when it is missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope

from bihuan.channels.tests.dovecot import Dovecot, DovecotMissing, free_port, running_dovecot

__all__ = ["Dovecot", "Sink", "free_port"]


class Sink:
    """An SMTP server's handler that keeps what it is given."""

    def __init__(self) -> None:
        self.received: list[EmailMessage] = []
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        parsed = message_from_bytes(raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append(parsed)
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


@pytest.fixture
def smtp(settings: Any) -> Iterator[Sink]:
    """Outbound mail configured and going to a real SMTP server on loopback."""
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.BIHUAN_MAIL_FROM = "闭环客服 <support@shop.example.cn>"
    yield sink
    controller.stop()


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.BIHUAN_MAIL_DOMAIN = "shop.example.cn"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    try:
        with running_dovecot() as server:
            yield server
    except DovecotMissing as exc:
        pytest.fail(str(exc))
