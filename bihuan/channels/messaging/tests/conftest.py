"""Fixtures of the messaging tests: the loopback platform server, accounts, signed callbacks."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from bihuan.channels.messaging import services
from bihuan.channels.messaging.models import PlatformAccount
from bihuan.channels.messaging.tests.platform_server import (
    SECRET,
    PlatformServer,
    running_platform_server,
)
from conftest import Org

AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
TOKEN = "QDG6eK"
FEISHU_KEY = "test key"
FEISHU_TOKEN = "v-token-飞书"


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.BIHUAN_JOB_RETRY_SECONDS = 10
    cache.clear()
    return tmp_path


@pytest.fixture(scope="session")
def platform_server() -> Iterator[PlatformServer]:
    # One server for the session: starting and stopping one per test cost half a second
    # each (the server's shutdown polls every 0.5 s).
    with running_platform_server() as server:
        yield server


@pytest.fixture
def platform(platform_server: PlatformServer) -> PlatformServer:
    """The loopback platform server, as new: no request, token, queued answer or media."""
    platform_server.reset()
    return platform_server


def make_account(org: Org, server: PlatformServer, platform: str, **extra: str) -> PlatformAccount:
    values = {
        "wecom": {"app_id": "ww1436e0e65a779aee", "open_kfid": "wkAJ2GCAAASSm4_FhToWMFea0xAFfd3Q"},
        "wechat": {"app_id": "wx5823bf96d3bd56c7"},
        "feishu": {"app_id": "cli_9dbb2dd6f5e0d104"},
        "dingtalk": {"app_id": "dingxsxqdc1xbo8bxkxk", "robot_code": "dingxsxqdc1xbo8bxkxk"},
    }[platform]
    keys = (
        {"token": FEISHU_TOKEN, "aes_key": FEISHU_KEY}
        if platform == "feishu"
        else {"token": TOKEN, "aes_key": AES_KEY}
    )
    merged = {**values, **keys, **extra}
    return services.save_account(
        services.AccountSettings(
            platform=platform,
            name=f"{platform} 客服",
            app_id=merged["app_id"],
            secret=SECRET,
            token=merged["token"],
            aes_key=merged["aes_key"],
            open_kfid=merged.get("open_kfid", ""),
            robot_code=merged.get("robot_code", ""),
            base_url=server.url,
            team=org.presales,
        ),
        actor=org.admin,
    )


def now() -> str:
    return str(int(time.time()))


def nonce() -> str:
    return secrets.token_hex(6)


def callback_path(account: PlatformAccount) -> str:
    return f"/messaging/{account.platform}/{account.callback_key}/"


@pytest.fixture
def client() -> Client:
    return Client()
