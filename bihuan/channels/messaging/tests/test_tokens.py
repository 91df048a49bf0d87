"""Access tokens: cached until five minutes before they expire, fetched once however many
deliveries ask at the same moment, and fetched anew when the platform refuses a cached one."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.core.cache import cache

from bihuan.channels.messaging.models import PlatformAccount
from bihuan.channels.messaging.platforms.base import (
    TOKEN_EARLY_REFRESH_SECONDS,
    TokenRejected,
    access_token,
    token_key,
    with_token,
)
from bihuan.channels.messaging.platforms.feishu import Client as FeishuClient
from bihuan.channels.messaging.tests.platform_server import SECRET, PlatformServer


def _account(server: PlatformServer) -> PlatformAccount:
    # Not saved: tokens live in the cache only.
    return PlatformAccount(
        pk=4242, platform="feishu", app_id="cli_tokens", secret=SECRET, base_url=server.url
    )


def test_concurrent_deliveries_fetch_one_token(platform: PlatformServer) -> None:
    account = _account(platform)
    client = FeishuClient(account)
    got: list[str] = []
    start = threading.Barrier(8)

    def ask() -> None:
        start.wait()
        got.append(access_token(account, client.fetch_token))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert got == ["t-1"] * 8
    assert len(platform.calls("/open-apis/auth/v3/tenant_access_token/internal")) == 1


def test_a_token_is_cached_until_five_minutes_before_it_expires(
    platform: PlatformServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = _account(platform)
    fetched: list[int] = []
    stored: list[tuple[str, Any, int]] = []
    real_set = cache.set

    def spy(key: str, value: Any, timeout: int) -> None:
        stored.append((key, value, timeout))
        real_set(key, value, timeout=timeout)

    monkeypatch.setattr(cache, "set", spy)

    def fetch() -> tuple[str, int]:
        fetched.append(7200)
        return f"token-{len(fetched)}", 7200

    first = access_token(account, fetch)
    second = access_token(account, fetch)

    assert (first, second) == ("token-1", "token-1")
    assert fetched == [7200]
    assert stored == [(token_key(account), "token-1", 7200 - TOKEN_EARLY_REFRESH_SECONDS)]


def test_a_refused_token_is_fetched_anew_once(platform: PlatformServer) -> None:
    account = _account(platform)
    client = FeishuClient(account)
    seen: list[str] = []

    def call(token: str) -> str:
        seen.append(token)
        if len(seen) == 1:
            raise TokenRejected("99991663", "Invalid access token")
        return token

    result = with_token(account, client, call)

    assert seen == ["t-1", "t-2"]
    assert result == "t-2"
