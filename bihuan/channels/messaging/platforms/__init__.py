"""One module per platform: its callback protocol and its API client.

``client_for(account)`` gives the platform's ``PlatformClient``; ``handle_callback`` of each
module verifies and decrypts one callback request and returns what it carried.
"""

from __future__ import annotations

from bihuan.channels.messaging.choices import Platform
from bihuan.channels.messaging.models import PlatformAccount
from bihuan.channels.messaging.platforms import dingtalk, feishu, wechat, wecom
from bihuan.channels.messaging.platforms.base import (
    CallbackResult,
    MediaLimits,
    PlatformClient,
    Request,
)

_MODULES = {
    Platform.WECOM: wecom,
    Platform.WECHAT: wechat,
    Platform.FEISHU: feishu,
    Platform.DINGTALK: dingtalk,
}


def client_for(account: PlatformAccount) -> PlatformClient:
    client: PlatformClient = _MODULES[Platform(account.platform)].Client(account)
    return client


def handle_callback(account: PlatformAccount, request: Request) -> CallbackResult:
    result: CallbackResult = _MODULES[Platform(account.platform)].handle_callback(account, request)
    return result


def default_base_url(platform: str) -> str:
    url: str = _MODULES[Platform(platform)].DEFAULT_BASE_URL
    return url


def media_limits(platform: str) -> MediaLimits:
    """What the platform accepts as image and file messages of a reply."""
    limits: MediaLimits = _MODULES[Platform(platform)].LIMITS
    return limits
