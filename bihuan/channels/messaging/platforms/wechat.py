"""WeChat Official Account (公众号).

Callback (developers.weixin.qq.com, 接入指南 / 消息加解密说明): URL verification is a GET
with ``signature = sha1(sorted(token, timestamp, nonce))`` and ``echostr`` (answered as is).
Messages are POSTed as XML: in plain mode signed the same way; in safe mode
(``encrypt_type=aes``) with ``msg_signature`` over the ``<Encrypt>`` element and the
WXBizMsgCrypt ciphertext (receive id = the AppID). An account with an EncodingAESKey takes
safe-mode callbacks only, so that a plain-mode forgery cannot bypass the encryption.
Replies go through the customer-service API ``message/custom/send`` to the ``openid``.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from bihuan.channels.messaging.crypto import CryptoError, WXBizMsgCrypt, plain_signature, same
from bihuan.channels.messaging.models import PlatformAccount
from bihuan.channels.messaging.platforms.base import (
    CallbackRefused,
    CallbackResult,
    Download,
    InboundMessage,
    MediaRef,
    Request,
    check_fresh,
    http_client,
    with_token,
)
from bihuan.channels.messaging.platforms.tencent import checked, field, parse_xml
from bihuan.channels.messaging.platforms.wecom import download_tencent_media

DEFAULT_BASE_URL = "https://api.weixin.qq.com"


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
        body = {"touser": peer_id, "msgtype": "text", "text": {"content": text}}

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
