"""What every platform module shares: the HTTP client, errors, the replay guard and the
access-token cache."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import Message as MimeHeaders
from typing import Any, Protocol

import httpx
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from bihuan.channels.messaging.models import PlatformAccount

REPLAY_WINDOW_SECONDS = 300
TOKEN_EARLY_REFRESH_SECONDS = 300
MAX_MEDIA_BYTES = 20 * 1024 * 1024


class PlatformError(Exception):
    """The platform answered with an error (its own code and message)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class PlatformRateLimited(PlatformError):
    """The platform's rate-limit error: back off and try again later."""


class TokenRejected(PlatformError):
    """The platform refused the cached access token (expired early, secret rotated)."""


class CallbackRefused(Exception):
    """A callback that is not taken: forged, stale, replayed or malformed."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Request:
    """The parts of an HTTP callback a platform module reads."""

    method: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class MediaRef:
    """Where to download a message's image or file from."""

    key: str
    kind: str  # "image" | "file"
    filename: str = ""
    extra: str = ""  # a platform detail: Feishu's message id, DingTalk's robot code


@dataclass(frozen=True)
class InboundMessage:
    message_id: str
    peer_id: str
    kind: str  # "text" | "image" | "file" | another platform type (stored as a note)
    text: str = ""
    name: str = ""
    media: MediaRef | None = None


@dataclass(frozen=True)
class Download:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Profile:
    """What a platform tells about one of its users: the name it shows (may be empty: the
    Official Account returns no nickname since 2021), an avatar address, the unionid."""

    peer_id: str
    name: str = ""
    avatar_url: str = ""
    union_id: str = ""


@dataclass(frozen=True)
class Upload:
    """A file of an agent's reply, to upload and send as an image or a file message."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class MediaLimits:
    """What a platform accepts as an image or file message. A file of another type, or any
    file where ``file_bytes`` is 0 (the Official Account's custom messages have no file
    type), goes as a text message with a download link."""

    image_types: frozenset[str]
    image_bytes: int
    file_bytes: int
    file_extensions: frozenset[str] | None = None  # None: any extension

    def kind_of(self, filename: str, content_type: str, size: int) -> str | None:
        """ "image", "file" or "link"; None when the file is too large for the platform."""
        if content_type.lower() in self.image_types and size <= self.image_bytes:
            return "image"
        extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
        if not self.file_bytes or (
            self.file_extensions is not None and extension not in self.file_extensions
        ):
            return "link"
        if size <= self.file_bytes:
            return "file"
        return None


@dataclass
class CallbackResult:
    """What a verified callback carried and what to answer the platform."""

    body: bytes = b"success"
    content_type: str = "text/plain; charset=utf-8"
    messages: list[InboundMessage] = field(default_factory=list)
    sync_token: str | None = None  # WeCom: a kf event; messages are fetched with sync_msg
    nonce: str = ""  # claimed by ``check_fresh``: released when the callback cannot be stored


class PlatformClient(Protocol):
    account: PlatformAccount

    def fetch_token(self) -> tuple[str, int]:
        """A new access token and its lifetime in seconds (no cache)."""
        ...

    def send_text(self, peer_id: str, text: str, *, reference: str) -> str:
        """Send ``text`` to ``peer_id``; returns the platform's message id (or "")."""
        ...

    def download(self, media: MediaRef) -> Download: ...

    def fetch_profiles(self, peer_ids: list[str]) -> list[Profile]:
        """The platform's profiles of ``peer_ids`` (ids it does not know are left out)."""
        ...

    def upload(self, kind: str, upload: Upload) -> str:
        """Upload an image or a file ("image" / "file"); returns the platform's media key."""
        ...

    def send_media(
        self, peer_id: str, kind: str, media_key: str, upload: Upload, *, reference: str
    ) -> str:
        """Send an uploaded image or file; returns the platform's message id (or "")."""
        ...


# A profile is asked while a callback waits for its answer (WeChat retries after 5 s): a slow
# profile API gives up early rather than hold the message; background work asks again.
PROFILE_TIMEOUT_SECONDS = 3.0


def http_client(*, timeout: float | None = None) -> httpx.Client:
    if timeout is None:
        timeout = float(getattr(settings, "BIHUAN_MESSAGING_TIMEOUT_SECONDS", 10))
    return httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False)


def json_of(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError as exc:
        raise PlatformError(str(response.status_code), response.text[:200]) from exc
    if not isinstance(data, dict):
        raise PlatformError(str(response.status_code), "not a JSON object")
    return data


def filename_of(response: httpx.Response, fallback: str) -> str:
    disposition = response.headers.get("content-disposition", "")
    if disposition:
        headers = MimeHeaders()
        headers["content-disposition"] = disposition
        name = headers.get_filename()
        if name:
            return name
    return fallback


def read_media(response: httpx.Response) -> bytes:
    if len(response.content) > MAX_MEDIA_BYTES:
        raise PlatformError("too_large", f"{len(response.content)} bytes")
    return response.content


# --- Replay guard -----------------------------------------------------------------------------


def check_fresh(account: PlatformAccount, timestamp: str, nonce: str) -> str:
    """Refuse a callback older (or newer) than five minutes, or whose nonce was seen already.

    Call after the signature was checked (an attacker cannot burn nonces of real callbacks).
    The nonce is remembered in the cache for the replay window; ``forget_nonce`` releases it
    when the callback could not be processed, so that the platform's retry is taken.
    """
    try:
        stamp = int(timestamp)
    except ValueError as exc:
        raise CallbackRefused(400, "bad timestamp") from exc
    if stamp > 10**12:  # DingTalk and Feishu's create_time count milliseconds
        stamp //= 1000
    if abs(timezone.now().timestamp() - stamp) > REPLAY_WINDOW_SECONDS:
        raise CallbackRefused(403, "stale timestamp")
    if not nonce:
        raise CallbackRefused(400, "no nonce")
    if not cache.add(nonce_key(account, nonce), 1, timeout=REPLAY_WINDOW_SECONDS * 2):
        raise CallbackRefused(409, "repeated nonce")
    return nonce


def nonce_key(account: PlatformAccount, nonce: str) -> str:
    digest = hashlib.sha256(nonce.encode()).hexdigest()[:32]
    return f"bihuan:messaging:nonce:{account.pk}:{digest}"


def forget_nonce(account: PlatformAccount, nonce: str) -> None:
    cache.delete(nonce_key(account, nonce))


# --- Access tokens ----------------------------------------------------------------------------


def token_key(account: PlatformAccount) -> str:
    # The secret is part of the key: a rotated secret never reuses the old app's token.
    digest = hashlib.sha256(f"{account.base_url}|{account.app_id}|{account.secret}".encode())
    return f"bihuan:messaging:token:{account.pk}:{digest.hexdigest()[:24]}"


def access_token(account: PlatformAccount, fetch: Callable[[], tuple[str, int]]) -> str:
    """The account's access token from the cache, or fetched once however many ask at once.

    Cached until five minutes before the platform says it expires (refreshed early, never
    used stale). One process fetches while the others wait for the cache (a short lock
    with ``cache.add``): the platforms cap token requests per day and a new token may
    invalidate the previous one.
    """
    key = token_key(account)
    token = cache.get(key)
    if isinstance(token, str) and token:
        return token
    lock = f"{key}:lock"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if cache.add(lock, 1, timeout=30):
            try:
                token = cache.get(key)
                if isinstance(token, str) and token:
                    return token
                token, lifetime = fetch()
                ttl = max(lifetime - TOKEN_EARLY_REFRESH_SECONDS, 60)
                cache.set(key, token, timeout=ttl)
                return token
            finally:
                cache.delete(lock)
        time.sleep(0.05)
        token = cache.get(key)
        if isinstance(token, str) and token:
            return token
    raise PlatformError("token_busy", "waited too long for another process's token request")


def remember_token(account: PlatformAccount, token: str, lifetime: int) -> None:
    """Cache a token fetched outside ``access_token`` (the connection test's)."""
    cache.set(token_key(account), token, timeout=max(lifetime - TOKEN_EARLY_REFRESH_SECONDS, 60))


def drop_token(account: PlatformAccount) -> None:
    cache.delete(token_key(account))


def with_token(account: PlatformAccount, client: PlatformClient, call: Callable[[str], Any]) -> Any:
    """Run ``call(token)``; when the platform refuses the token, fetch a new one once."""
    try:
        return call(access_token(account, client.fetch_token))
    except TokenRejected:
        drop_token(account)
        return call(access_token(account, client.fetch_token))
