"""Fixtures of the channels tests: a temporary storage folder, and a real IMAP server.

Dovecot (Debian's dovecot-imapd, installed by ``make system-packages``) is started once per
test session on a spare loopback port with its configuration in a temporary folder. A test
that needs it fails — never skips — when it is missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bihuan.channels.tests.dovecot import Dovecot, DovecotMissing, free_port, running_dovecot

__all__ = ["Dovecot", "free_port"]


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
