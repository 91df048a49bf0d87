"""WeChat Official Account (公众号).

Callback (developers.weixin.qq.com, 接入指南 / 消息加解密说明): URL verification is a GET
with ``signature = sha1(sorted(token, timestamp, nonce))`` and ``echostr`` (answered as is).
Messages are POSTed as XML: in plain mode signed the same way; in safe mode
(``encrypt_type=aes``) with ``msg_signature`` over the ``<Encrypt>`` element and the
WXBizMsgCrypt ciphertext (receive id = the AppID). An account with an EncodingAESKey takes
safe-mode callbacks only, so that a plain-mode forgery cannot bypass the encryption.
Replies go through the customer-service API ``message/custom/send`` to the ``openid``; an
image is uploaded with ``media/upload?type=image`` (temporary media) and sent as an ``image``
message. Custom messages have no file type: a file goes as a text with a signed download
link. ``user/info`` gives a follower's unionid; WeChat stopped returning nicknames and
avatars to most accounts at the end of 2021, so the name is often empty.
"""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element

from bihuan.channels.messaging.crypto import CryptoError, WXBizMsgCrypt, plain_signature, same
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
    Profile,
    Request,
    Upload,
    check_fresh,
    http_client,
    with_token,
)
from bihuan.channels.messaging.platforms.tencent import checked, field, parse_xml
from bihuan.channels.messaging.platforms.wecom import (
    download_tencent_media,
    upload_tencent_media,
)

DEFAULT_BASE_URL = "https://api.weixin.qq.com"
# media/upload (新增临时素材): images PNG/JPEG/GIF up to 10 MB; no file messages.
LIMITS = MediaLimits(
    image_types=frozenset({"image/jpeg", "image/png", "image/gif"}),
    image_bytes=10 * 1024 * 1024,
    file_bytes=0,
)


def handle_callback(account: PlatformAccount, request: Request) -> CallbackResult:
    timestamp = request.query.get("timestamp", "")
    nonce = request.query.get("nonce", "")
    signature = request.query.get("signature", "")
    expected = plain_signature(account.token, timestamp, nonce)
    if not same(signature.lower(), expected):
        raise CallbackRefused(403, "the signature does not match")
    if request.method == "GET":
        claimed = check_fresh(account, timestamp, nonce)
        return CallbackResult(body=request.query.get("echostr", "").encode(), nonce=claimed)
    root = parse_xml(request.body)
    if account.aes_key:
        if request.query.get("encrypt_type") != "aes":
            raise CallbackRefused(403, "this account takes safe-mode (encrypted) callbacks only")
        try:
            cipher = WXBizMsgCrypt(account.token, account.aes_key, account.app_id)
            plain = cipher.verify_and_decrypt(
                request.query.get("msg_signature", ""), timestamp, nonce, field(root, "Encrypt")
            )
        except CryptoError as exc:
            raise CallbackRefused(403, str(exc)) from exc
        root = parse_xml(plain)
    claimed = check_fresh(account, timestamp, nonce)
    message = parse_message(root)
    return CallbackResult(messages=[message] if message is not None else [], nonce=claimed)


def parse_message(root: Element) -> InboundMessage | None:
    kind = field(root, "MsgType")
    message_id = field(root, "MsgId")
    peer = field(root, "FromUserName")
    if kind == "event" or not message_id or not peer:
        return None  # subscriptions, menu clicks: no message
    if kind == "text":
        return InboundMessage(message_id, peer, "text", text=field(root, "Content"))
    if kind in ("image", "file"):
        name = field(root, "Title") if kind == "file" else ""
        return InboundMessage(
            message_id, peer, kind, media=MediaRef(field(root, "MediaId"), kind, filename=name)
        )
    return InboundMessage(message_id, peer, kind)


class Client:
    def __init__(self, account: PlatformAccount) -> None:
        self.account = account
        self.base = account.base_url.rstrip("/")

    def fetch_token(self) -> tuple[str, int]:
        with http_client() as http:
            data = checked(
                http.get(
                    f"{self.base}/cgi-bin/token",
                    params={
                        "grant_type": "client_credential",
                        "appid": self.account.app_id,
                        "secret": self.account.secret,
                    },
                )
            )
        return str(data["access_token"]), int(data.get("expires_in", 7200))

    def send_text(self, peer_id: str, text: str, *, reference: str) -> str:
        return self._send({"touser": peer_id, "msgtype": "text", "text": {"content": text}})

    def send_media(
        self, peer_id: str, kind: str, media_key: str, upload: Upload, *, reference: str
    ) -> str:
        return self._send({"touser": peer_id, "msgtype": kind, kind: {"media_id": media_key}})

    def _send(self, body: dict[str, Any]) -> str:

        def call(access: str) -> str:
            with http_client() as http:
                checked(
                    http.post(
                        f"{self.base}/cgi-bin/message/custom/send",
                        params={"access_token": access},
                        json=body,
                    )
                )
            return ""

        result: str = with_token(self.account, self, call)
        return result

    def download(self, media: MediaRef) -> Download:
        return download_tencent_media(self, self.base, media)

    def upload(self, kind: str, upload: Upload) -> str:
        return upload_tencent_media(self, self.base, kind, upload)

    def fetch_profiles(self, peer_ids: list[str]) -> list[Profile]:
        """``user/info`` per follower (``lang=zh_CN``): the unionid, and the nickname and
        avatar where WeChat still gives them."""
        profiles: list[Profile] = []
        for openid in peer_ids:

            def call(access: str, openid: str = openid) -> dict[str, Any]:
                with http_client(timeout=PROFILE_TIMEOUT_SECONDS) as http:
                    return checked(
                        http.get(
                            f"{self.base}/cgi-bin/user/info",
                            params={"access_token": access, "openid": openid, "lang": "zh_CN"},
                        )
                    )

            try:
                data = with_token(self.account, self, call)
            except PlatformError as exc:
                if exc.code == "40003":  # not an openid of this account: nothing to learn
                    continue
                raise
            profiles.append(
                Profile(
                    peer_id=openid,
                    name=str(data.get("nickname") or ""),
                    avatar_url=str(data.get("headimgurl") or ""),
                    union_id=str(data.get("unionid") or ""),
                )
            )
        return profiles
