"""WeCom customer service (企业微信·微信客服, the ``kf`` API).

Callback (documented at developer.work.weixin.qq.com, 回调配置 / 加解密方案说明): GET with
``msg_signature``, ``timestamp``, ``nonce``, ``echostr`` verifies the URL (answer the
decrypted ``echostr``); POST carries ``<xml><Encrypt>…</Encrypt></xml>``, signed the same way.
The decrypted event ``kf_msg_or_event`` carries no message: it carries a ``Token`` with which
``kf/sync_msg`` returns the messages from the account's cursor (due work, see handlers).
Replies go through ``kf/send_msg`` to the customer's ``external_userid``; their files are
uploaded with ``media/upload`` (temporary media, three days) and sent as ``image`` / ``file``
messages. A new customer's nickname, avatar and unionid come from ``kf/customer/batchget``
(up to 100 ids a call).
"""

from __future__ import annotations

from typing import Any

from bihuan.channels.messaging.crypto import CryptoError, WXBizMsgCrypt
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
    filename_of,
    http_client,
    read_media,
    with_token,
)
from bihuan.channels.messaging.platforms.tencent import checked, field, parse_xml

DEFAULT_BASE_URL = "https://qyapi.weixin.qq.com"
CUSTOMER_ORIGIN = 3  # sync_msg ``origin``: 3 the WeChat customer, 4 system, 5 a servicer
PROFILE_BATCH = 100  # kf/customer/batchget takes at most 100 external_userids
MB = 1024 * 1024
# media/upload (上传临时素材): images JPG/PNG up to 10 MB, files up to 20 MB, at least 5 bytes.
LIMITS = MediaLimits(
    image_types=frozenset({"image/jpeg", "image/png"}), image_bytes=10 * MB, file_bytes=20 * MB
)


def crypt(account: PlatformAccount) -> WXBizMsgCrypt:
    try:
        return WXBizMsgCrypt(account.token, account.aes_key, account.app_id)
    except CryptoError as exc:
        raise CallbackRefused(503, "the account's EncodingAESKey is not valid") from exc


def handle_callback(account: PlatformAccount, request: Request) -> CallbackResult:
    signature = request.query.get("msg_signature", "")
    timestamp = request.query.get("timestamp", "")
    nonce = request.query.get("nonce", "")
    cipher = crypt(account)
    if request.method == "GET":
        echostr = request.query.get("echostr", "")
        try:
            plain = cipher.verify_and_decrypt(signature, timestamp, nonce, echostr)
        except CryptoError as exc:
            raise CallbackRefused(403, str(exc)) from exc
        return CallbackResult(body=plain, nonce=check_fresh(account, timestamp, nonce))
    encrypt = field(parse_xml(request.body), "Encrypt")
    try:
        plain = cipher.verify_and_decrypt(signature, timestamp, nonce, encrypt)
    except CryptoError as exc:
        raise CallbackRefused(403, str(exc)) from exc
    claimed = check_fresh(account, timestamp, nonce)
    event = parse_xml(plain)
    result = CallbackResult(nonce=claimed)
    if field(event, "MsgType") == "event" and field(event, "Event") == "kf_msg_or_event":
        open_kfid = field(event, "OpenKfId")
        if not account.open_kfid or open_kfid == account.open_kfid:
            result.sync_token = field(event, "Token")
    return result


def parse_sync_message(item: dict[str, Any]) -> InboundMessage | None:
    """One ``msg_list`` entry of ``kf/sync_msg``; None for what is not a customer's message."""
    if item.get("origin") != CUSTOMER_ORIGIN:
        return None
    kind = str(item.get("msgtype", ""))
    message_id = str(item.get("msgid", ""))
    peer = str(item.get("external_userid", ""))
    if not message_id or not peer:
        return None
    if kind == "text":
        text = (item.get("text") or {}).get("content", "")
        return InboundMessage(message_id, peer, "text", text=str(text))
    if kind in ("image", "file"):
        media_id = str((item.get(kind) or {}).get("media_id", ""))
        return InboundMessage(message_id, peer, kind, media=MediaRef(media_id, kind))
    return InboundMessage(message_id, peer, kind)


class Client:
    def __init__(self, account: PlatformAccount) -> None:
        self.account = account
        self.base = account.base_url.rstrip("/")

    def fetch_token(self) -> tuple[str, int]:
        with http_client() as http:
            data = checked(
                http.get(
                    f"{self.base}/cgi-bin/gettoken",
                    params={"corpid": self.account.app_id, "corpsecret": self.account.secret},
                )
            )
        return str(data["access_token"]), int(data.get("expires_in", 7200))

    def sync(self, *, cursor: str, token: str) -> tuple[list[dict[str, Any]], str, bool]:
        """One page of ``kf/sync_msg``: (messages, next cursor, has more)."""
        body: dict[str, Any] = {"cursor": cursor, "token": token, "limit": 1000}
        if self.account.open_kfid:
            body["open_kfid"] = self.account.open_kfid

        def call(access: str) -> dict[str, Any]:
            with http_client() as http:
                return checked(
                    http.post(
                        f"{self.base}/cgi-bin/kf/sync_msg",
                        params={"access_token": access},
                        json=body,
                    )
                )

        data = with_token(self.account, self, call)
        items = [i for i in data.get("msg_list") or [] if isinstance(i, dict)]
        return items, str(data.get("next_cursor", "")), bool(data.get("has_more"))

    def send_text(self, peer_id: str, text: str, *, reference: str) -> str:
        return self._send(peer_id, "text", {"content": text}, reference=reference)

    def send_media(
        self, peer_id: str, kind: str, media_key: str, upload: Upload, *, reference: str
    ) -> str:
        return self._send(peer_id, kind, {"media_id": media_key}, reference=reference)

    def _send(self, peer_id: str, kind: str, content: dict[str, str], *, reference: str) -> str:
        body = {
            "touser": peer_id,
            "open_kfid": self.account.open_kfid,
            "msgid": reference,  # WeCom de-duplicates a repeated send with the same msgid
            "msgtype": kind,
            kind: content,
        }

        def call(access: str) -> str:
            with http_client() as http:
                data = checked(
                    http.post(
                        f"{self.base}/cgi-bin/kf/send_msg",
                        params={"access_token": access},
                        json=body,
                    )
                )
            return str(data.get("msgid", ""))

        result: str = with_token(self.account, self, call)
        return result

    def download(self, media: MediaRef) -> Download:
        return download_tencent_media(self, self.base, media)

    def upload(self, kind: str, upload: Upload) -> str:
        return upload_tencent_media(self, self.base, kind, upload)

    def fetch_profiles(self, peer_ids: list[str]) -> list[Profile]:
        """``kf/customer/batchget``: nickname, avatar and unionid (when the kf account is
        bound to an open-platform account) of up to 100 customers a call."""
        profiles: list[Profile] = []
        for start in range(0, len(peer_ids), PROFILE_BATCH):
            body = {
                "external_userid_list": peer_ids[start : start + PROFILE_BATCH],
                "need_enter_session_context": 0,
            }

            def call(access: str, body: dict[str, Any] = body) -> dict[str, Any]:
                with http_client(timeout=PROFILE_TIMEOUT_SECONDS) as http:
                    return checked(
                        http.post(
                            f"{self.base}/cgi-bin/kf/customer/batchget",
                            params={"access_token": access},
                            json=body,
                        )
                    )

            data = with_token(self.account, self, call)
            for item in data.get("customer_list") or []:
                if isinstance(item, dict) and item.get("external_userid"):
                    profiles.append(
                        Profile(
                            peer_id=str(item["external_userid"]),
                            name=str(item.get("nickname") or ""),
                            avatar_url=str(item.get("avatar") or ""),
                            union_id=str(item.get("unionid") or ""),
                        )
                    )
        return profiles

    def account_names(self) -> dict[str, str]:
        """``kf/account/list``: the corp's customer-service accounts (open_kfid → name)."""

        def call(access: str) -> dict[str, Any]:
            with http_client() as http:
                return checked(
                    http.post(
                        f"{self.base}/cgi-bin/kf/account/list",
                        params={"access_token": access},
                        json={"offset": 0, "limit": 100},
                    )
                )

        data = with_token(self.account, self, call)
        return {
            str(item.get("open_kfid", "")): str(item.get("name", ""))
            for item in data.get("account_list") or []
            if isinstance(item, dict)
        }


def upload_tencent_media(client: Any, base: str, kind: str, upload: Upload) -> str:
    """``cgi-bin/media/upload?type=image|file`` (WeCom and the Official Account alike):
    multipart ``media``; returns the temporary ``media_id``."""

    def call(access: str) -> str:
        with http_client() as http:
            data = checked(
                http.post(
                    f"{base}/cgi-bin/media/upload",
                    params={"access_token": access, "type": kind},
                    files={"media": (upload.filename, upload.data, upload.content_type)},
                )
            )
        media_id = str(data.get("media_id", ""))
        if not media_id:
            raise PlatformError("no_media_id", "no media_id in the answer")
        return media_id

    result: str = with_token(client.account, client, call)
    return result


def download_tencent_media(client: Any, base: str, media: MediaRef) -> Download:
    """``cgi-bin/media/get``: the bytes, or a JSON error."""

    def call(access: str) -> Download:
        with http_client() as http:
            response = http.get(
                f"{base}/cgi-bin/media/get", params={"access_token": access, "media_id": media.key}
            )
        content_type = response.headers.get("content-type", "").split(";")[0].strip()
        if content_type in ("application/json", "text/plain") or response.status_code != 200:
            checked(response)  # raises the platform's error
            raise PlatformError(str(response.status_code), "no file in the answer")
        fallback = media.filename or ("image.jpg" if media.kind == "image" else "file")
        return Download(
            filename=filename_of(response, fallback),
            content_type=content_type or "application/octet-stream",
            data=read_media(response),
        )

    result: Download = with_token(client.account, client, call)
    return result
