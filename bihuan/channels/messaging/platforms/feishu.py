"""Feishu / Lark: event subscription v2 and the IM API.

Implemented on httpx rather than with lark-oapi: the callback crypto and the API calls used
here (tenant_access_token, send a message, download a resource, upload an image or a file,
read a user's name) are a few documented
requests, while lark-oapi brings thousands of generated modules and its own token cache and
HTTP stack that this app's cache, replay guard and due-work retries would have to wrap.

Callback (open.feishu.cn, 事件订阅 / 配置 Encrypt Key): with an Encrypt Key the body is
``{"encrypt": base64(iv + AES-256-CBC(sha256(key), event))}`` and the request carries
``X-Lark-Request-Timestamp``, ``X-Lark-Request-Nonce`` and ``X-Lark-Signature =
sha256(timestamp + nonce + encrypt_key + body)``. The URL verification (``type:
url_verification``) is answered with its ``challenge`` when its ``token`` is the app's
Verification Token. Events v2 carry ``header.token`` (checked), ``header.event_id`` and
``im.message.receive_v1`` with the sender's ``open_id`` and the message (``message_id`` is
the dedupe key).

A reply's files are uploaded with ``im/v1/images`` (``image_type=message``) or ``im/v1/files``
and sent as ``image`` / ``file`` messages; a new sender's name and avatar come from
``contact/v3/users/:open_id`` (``user_id_type=open_id``, the app needs the contact scope).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import httpx

from bihuan.channels.messaging.crypto import CryptoError, feishu_decrypt, feishu_signature, same
from bihuan.channels.messaging.models import PlatformAccount
from bihuan.channels.messaging.platforms.base import (
    PROFILE_TIMEOUT_SECONDS,
    CallbackRefused,
    CallbackResult,
    Download,
    InboundMessage,
    MediaLimits,
    MediaRef,
    PlatformError,
    PlatformRateLimited,
    Profile,
    Request,
    TokenRejected,
    Upload,
    check_fresh,
    filename_of,
    http_client,
    json_of,
    read_media,
    with_token,
)

DEFAULT_BASE_URL = "https://open.feishu.cn"
TOKEN_ERRORS = {99991661, 99991663, 99991664, 99991668}
RATE_LIMIT_ERRORS = {99991400}  # "request trigger frequency limit"
# 41050 the user is outside the app's contact range; 99991672 / 99991679 the app lacks the
# contact scope: the sender keeps the name Bihuan gives them.
NO_PROFILE_ERRORS = {"41050", "99991672", "99991679"}
MB = 1024 * 1024
# im/v1/images: JPEG, PNG, WEBP, GIF, TIFF, BMP, ICO up to 10 MB; im/v1/files: up to 30 MB.
LIMITS = MediaLimits(
    image_types=frozenset(
        {
            "image/jpeg",
            "image/png",
            "image/webp",
            "image/gif",
            "image/tiff",
            "image/bmp",
            "image/x-icon",
            "image/vnd.microsoft.icon",
        }
    ),
    image_bytes=10 * MB,
    file_bytes=30 * MB,
)
# im/v1/files ``file_type``: pdf, doc, xls, ppt by extension; everything else is a stream.
FILE_TYPES = {
    "pdf": "pdf",
    "doc": "doc",
    "docx": "doc",
    "xls": "xls",
    "xlsx": "xls",
    "ppt": "ppt",
    "pptx": "ppt",
}


def _json(data: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CallbackRefused(400, "malformed JSON") from exc
    if not isinstance(parsed, dict):
        raise CallbackRefused(400, "not a JSON object")
    return parsed


def handle_callback(account: PlatformAccount, request: Request) -> CallbackResult:
    if request.method != "POST":
        raise CallbackRefused(405, "POST only")
    outer = _json(request.body)
    signed = False
    timestamp = request.headers.get("x-lark-request-timestamp", "")
    nonce = request.headers.get("x-lark-request-nonce", "")
    if account.aes_key:
        if not isinstance(outer.get("encrypt"), str):
            raise CallbackRefused(403, "this app takes encrypted events only")
        signature = request.headers.get("x-lark-signature", "")
        if signature:
            expected = feishu_signature(timestamp, nonce, account.aes_key, request.body)
            if not same(signature.lower(), expected):
                raise CallbackRefused(403, "the signature does not match")
            signed = True
        try:
            event = _json(feishu_decrypt(account.aes_key, outer["encrypt"]))
        except CryptoError as exc:
            raise CallbackRefused(403, str(exc)) from exc
    else:
        event = outer
    if event.get("type") == "url_verification":
        if not same(str(event.get("token", "")), account.token):
            raise CallbackRefused(403, "the verification token does not match")
        body = json.dumps({"challenge": str(event.get("challenge", ""))}).encode()
        return CallbackResult(body=body, content_type="application/json")
    header = event.get("header") if isinstance(event.get("header"), dict) else {}
    assert isinstance(header, dict)
    if not same(str(header.get("token", "")), account.token):
        raise CallbackRefused(403, "the verification token does not match")
    if account.aes_key and not signed:
        raise CallbackRefused(403, "the request is not signed")
    if signed:
        claimed = check_fresh(account, timestamp, nonce)
    else:  # without an Encrypt Key Feishu signs nothing: the event's own id and time guard
        claimed = check_fresh(
            account, str(header.get("create_time", "")), str(header.get("event_id", ""))
        )
    result = CallbackResult(body=b'{"code":0}', content_type="application/json", nonce=claimed)
    if header.get("event_type") == "im.message.receive_v1":
        message = parse_message(event.get("event"))
        if message is not None:
            result.messages.append(message)
    return result


def parse_message(event: Any) -> InboundMessage | None:
    if not isinstance(event, dict):
        return None
    sender = event.get("sender") or {}
    message = event.get("message") or {}
    if sender.get("sender_type") != "user" or message.get("chat_type", "p2p") != "p2p":
        return None  # the app's own messages and group chats are not customer contacts
    open_id = str((sender.get("sender_id") or {}).get("open_id", ""))
    message_id = str(message.get("message_id", ""))
    if not open_id or not message_id:
        return None
    kind = str(message.get("message_type", ""))
    try:
        content = json.loads(message.get("content") or "{}")
    except ValueError:
        content = {}
    if not isinstance(content, dict):
        content = {}
    if kind == "text":
        return InboundMessage(message_id, open_id, "text", text=str(content.get("text", "")))
    if kind == "image":
        key = str(content.get("image_key", ""))
        return InboundMessage(
            message_id, open_id, "image", media=MediaRef(key, "image", extra=message_id)
        )
    if kind == "file":
        key = str(content.get("file_key", ""))
        name = str(content.get("file_name", ""))
        return InboundMessage(
            message_id,
            open_id,
            "file",
            media=MediaRef(key, "file", filename=name, extra=message_id),
        )
    return InboundMessage(message_id, open_id, kind)


def checked(response: httpx.Response) -> dict[str, Any]:
    if response.status_code == 429:
        raise PlatformRateLimited("429", response.text[:200])
    data = json_of(response)
    code = data.get("code", 0)
    if code == 0:
        return data
    message = str(data.get("msg", ""))
    if code in TOKEN_ERRORS:
        raise TokenRejected(str(code), message)
    if code in RATE_LIMIT_ERRORS:
        raise PlatformRateLimited(str(code), message)
    raise PlatformError(str(code), message)


class Client:
    def __init__(self, account: PlatformAccount) -> None:
        self.account = account
        self.base = account.base_url.rstrip("/")

    def fetch_token(self) -> tuple[str, int]:
        with http_client() as http:
            data = checked(
                http.post(
                    f"{self.base}/open-apis/auth/v3/tenant_access_token/internal",
                    json={"app_id": self.account.app_id, "app_secret": self.account.secret},
                )
            )
        return str(data["tenant_access_token"]), int(data.get("expire", 7200))

    def send_text(self, peer_id: str, text: str, *, reference: str) -> str:
        return self._send(peer_id, "text", {"text": text}, reference=reference)

    def send_media(
        self, peer_id: str, kind: str, media_key: str, upload: Upload, *, reference: str
    ) -> str:
        key = "image_key" if kind == "image" else "file_key"
        return self._send(peer_id, kind, {key: media_key}, reference=reference)

    def _send(self, peer_id: str, kind: str, content: dict[str, str], *, reference: str) -> str:
        body = {
            "receive_id": peer_id,
            "msg_type": kind,
            "content": json.dumps(content, ensure_ascii=False),
            "uuid": reference,  # Feishu sends one message per uuid within an hour
        }

        def call(access: str) -> str:
            with http_client() as http:
                data = checked(
                    http.post(
                        f"{self.base}/open-apis/im/v1/messages",
                        params={"receive_id_type": "open_id"},
                        headers={"Authorization": f"Bearer {access}"},
                        json=body,
                    )
                )
            return str((data.get("data") or {}).get("message_id", ""))

        result: str = with_token(self.account, self, call)
        return result

    def download(self, media: MediaRef) -> Download:
        def call(access: str) -> Download:
            with http_client() as http:
                response = http.get(
                    f"{self.base}/open-apis/im/v1/messages/{media.extra}/resources/{media.key}",
                    params={"type": media.kind},
                    headers={"Authorization": f"Bearer {access}"},
                )
            content_type = response.headers.get("content-type", "").split(";")[0].strip()
            if content_type == "application/json" or response.status_code != 200:
                checked(response)
                raise PlatformError(str(response.status_code), "no file in the answer")
            fallback = media.filename or ("image.png" if media.kind == "image" else "file")
            return Download(
                filename=media.filename or filename_of(response, fallback),
                content_type=content_type or "application/octet-stream",
                data=read_media(response),
            )

        result: Download = with_token(self.account, self, call)
        return result

    def upload(self, kind: str, upload: Upload) -> str:
        if kind == "image":
            path, form, field_name, key = "images", {"image_type": "message"}, "image", "image_key"
        else:
            extension = upload.filename.rsplit(".", 1)[-1].lower() if "." in upload.filename else ""
            form = {"file_type": FILE_TYPES.get(extension, "stream"), "file_name": upload.filename}
            path, field_name, key = "files", "file", "file_key"

        def call(access: str) -> str:
            with http_client() as http:
                data = checked(
                    http.post(
                        f"{self.base}/open-apis/im/v1/{path}",
                        headers={"Authorization": f"Bearer {access}"},
                        data=form,
                        files={field_name: (upload.filename, upload.data, upload.content_type)},
                    )
                )
            media_key = str((data.get("data") or {}).get(key, ""))
            if not media_key:
                raise PlatformError("no_key", f"no {key} in the answer")
            return media_key

        result: str = with_token(self.account, self, call)
        return result

    def fetch_profiles(self, peer_ids: list[str]) -> list[Profile]:
        """``contact/v3/users/:open_id``: the user's name, avatar and union_id."""
        profiles: list[Profile] = []
        for open_id in peer_ids:

            def call(access: str, open_id: str = open_id) -> dict[str, Any]:
                with http_client(timeout=PROFILE_TIMEOUT_SECONDS) as http:
                    return checked(
                        http.get(
                            f"{self.base}/open-apis/contact/v3/users/{quote(open_id, safe='')}",
                            params={"user_id_type": "open_id"},
                            headers={"Authorization": f"Bearer {access}"},
                        )
                    )

            try:
                data = with_token(self.account, self, call)
            except PlatformError as exc:
                if exc.code in NO_PROFILE_ERRORS:
                    continue  # an answer, not a failure: asking again would not help
                raise
            user = (data.get("data") or {}).get("user") or {}
            avatar = user.get("avatar") if isinstance(user.get("avatar"), dict) else {}
            profiles.append(
                Profile(
                    peer_id=open_id,
                    name=str(user.get("name") or ""),
                    avatar_url=str((avatar or {}).get("avatar_72") or ""),
                    union_id=str(user.get("union_id") or ""),
                )
            )
        return profiles
