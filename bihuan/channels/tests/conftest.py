"""Fixtures of the channels tests: received files go to a temporary storage folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.BIHUAN_MAIL_DOMAIN = "shop.example.cn"
    return Path(settings.MEDIA_ROOT)
