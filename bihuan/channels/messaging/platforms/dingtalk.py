"""DingTalk: the app robot's message callback, the encrypted event callback, and the robot
API (open.dingtalk.com).

- Robot messages (机器人接收消息, HTTP mode): POSTed JSON with the headers ``timestamp``
  (milliseconds) and ``sign = base64(HmacSHA256(timestamp + "\\n" + AppSecret))``; ``msgId``
  is the dedupe key, ``senderStaffId`` the person, ``msgtype`` text / picture / file.
- Event subscription (事件订阅, HTTP push): ``msg_signature``, ``timestamp``, ``nonce`` in the
  query and ``{"encrypt": …}`` in the body, the WXBizMsgCrypt scheme with the AppKey as
  receive id (DingTalk's ``DingCallbackCrypto``); the URL check (``EventType: check_url``)
  and every event are answered with the encrypted ``success`` map.
- Replies: ``/v1.0/robot/oToMessages/batchSend`` with ``x-acs-dingtalk-access-token``; files:
  ``/v1.0/robot/messageFiles/download`` gives a download URL.
- A reply's files: ``media/upload`` on the older host (oapi.dingtalk.com, the same access
  token as ``access_token`` parameter) gives a ``media_id``, sent with the robot templates
  ``sampleImageMsg`` (``photoURL`` takes the media_id) and ``sampleFile`` (pdf, doc(x),
  xlsx, zip, rar); another file type goes as a text with a download link.
- Names: the robot callback carries ``senderNick``; no profile call is needed.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

import httpx
from django.utils import timezone

from bihuan.channels.messaging.crypto import CryptoError, WXBizMsgCrypt, dingtalk_robot_sign, same
from bihuan.channels.messaging.models import PlatformAccount
from bihuan.channels.messaging.platforms.base import (
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

DEFAULT_BASE_URL = "https://api.dingtalk.com"
MB = 1024 * 1024
# media/upload: images jpg/gif/png/bmp up to 20 MB, files up to 20 MB; the robot's sampleFile
# template names xlsx, pdf, zip, rar, doc and docx.
LIMITS = MediaLimits(
    image_types=frozenset({"image/jpeg", "image/gif", "image/png", "image/bmp"}),
    image_bytes=20 * MB,
    file_bytes=20 * MB,
    file_extensions=frozenset({"xlsx", "pdf", "zip", "rar", "doc", "docx"}),
)


def oapi_base(base: str) -> str:
    """The older API host of ``media/upload``: oapi.dingtalk.com beside api.dingtalk.com (any
    other configured address, a test server or a proxy, serves both)."""
    return base.replace("://api.dingtalk.com", "://oapi.dingtalk.com", 1)


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
    if "msg_signature" in request.query or "signature" in request.query:
        return _event_callback(account, request)
    timestamp = request.headers.get("timestamp", "")
    sign = request.headers.get("sign", "")
    if not timestamp or not sign:
        raise CallbackRefused(403, "the request is not signed")
    if not same(sign, dingtalk_robot_sign(timestamp, account.secret)):
        raise CallbackRefused(403, "the signature does not match")
    body = _json(request.body)
    # DingTalk's sign covers the timestamp only, so two messages of the same millisecond share
    # it: the replay guard's nonce is the sign with the message id.
    claimed = check_fresh(account, timestamp, f"{sign}:{body.get('msgId', '')}")
    message = parse_robot_message(body)
    return CallbackResult(
        body=b"{}",
        content_type="application/json",
        messages=[message] if message else [],
        nonce=claimed,
    )


def _event_callback(account: PlatformAccount, request: Request) -> CallbackResult:
    signature = request.query.get("msg_signature") or request.query.get("signature", "")
    timestamp = request.query.get("timestamp") or request.query.get("timeStamp", "")
    nonce = request.query.get("nonce", "")
    encrypt = _json(request.body).get("encrypt")
    if not isinstance(encrypt, str):
        raise CallbackRefused(400, "no encrypt field")
    try:
        cipher = WXBizMsgCrypt(account.token, account.aes_key, account.app_id)
        plain = cipher.verify_and_decrypt(signature, timestamp, nonce, encrypt)
    except CryptoError as exc:
        raise CallbackRefused(403, str(exc)) from exc
    claimed = check_fresh(account, timestamp, nonce)
    _json(plain)  # an event (check_url or another): acknowledged, it carries no message
    return CallbackResult(
        body=encrypted_success(cipher), content_type="application/json", nonce=claimed
    )


def encrypted_success(cipher: WXBizMsgCrypt) -> bytes:
    """DingTalk's ``getEncryptedMap("success")``: the answer every event callback expects."""
    encrypt = cipher.encrypt(b"success")
    stamp = str(int(timezone.now().timestamp() * 1000))
    nonce = secrets.token_hex(8)
    return json.dumps(
        {
            "msg_signature": cipher.signature(stamp, nonce, encrypt),
            "timeStamp": stamp,
            "nonce": nonce,
            "encrypt": encrypt,
        }
    ).encode()


def parse_robot_message(body: dict[str, Any]) -> InboundMessage | None:
    message_id = str(body.get("msgId", ""))
    peer = str(body.get("senderStaffId", ""))
    if not message_id or not peer or str(body.get("conversationType", "1")) != "1":
        return None  # group conversations are not customer contacts
    name = str(body.get("senderNick", ""))
    kind = str(body.get("msgtype", ""))
    robot = str(body.get("robotCode", ""))
    content = body.get("content") if isinstance(body.get("content"), dict) else {}
    assert isinstance(content, dict)
    if kind == "text":
        text = str((body.get("text") or {}).get("content", "")).strip()
        return InboundMessage(message_id, peer, "text", text=text, name=name)
    if kind in ("picture", "file"):
        media_kind = "image" if kind == "picture" else "file"
        media = MediaRef(
            str(content.get("downloadCode", "")),
            media_kind,
            filename=str(content.get("fileName", "")),
            extra=robot,
        )
        return InboundMessage(message_id, peer, media_kind, name=name, media=media)
    return InboundMessage(message_id, peer, kind, name=name)


def checked(response: httpx.Response) -> dict[str, Any]:
    data = json_of(response) if response.content else {}
    code = str(data.get("code", ""))
    if response.status_code == 200 and not code:
        return data
    message = str(data.get("message", response.text[:200]))
    if response.status_code == 429 or "Throttling" in code or "QpsLimit" in code:
        raise PlatformRateLimited(code or "429", message)
    if response.status_code == 401 or code == "InvalidAuthentication":
        raise TokenRejected(code or "401", message)
    raise PlatformError(code or str(response.status_code), message)


class Client:
    def __init__(self, account: PlatformAccount) -> None:
        self.account = account
        self.base = account.base_url.rstrip("/")

    def fetch_token(self) -> tuple[str, int]:
        with http_client() as http:
            data = checked(
                http.post(
                    f"{self.base}/v1.0/oauth2/accessToken",
                    json={"appKey": self.account.app_id, "appSecret": self.account.secret},
                )
            )
        return str(data["accessToken"]), int(data.get("expireIn", 7200))

    def send_text(self, peer_id: str, text: str, *, reference: str) -> str:
        return self._send(peer_id, "sampleText", {"content": text})

    def send_media(
        self, peer_id: str, kind: str, media_key: str, upload: Upload, *, reference: str
    ) -> str:
        if kind == "image":
            return self._send(peer_id, "sampleImageMsg", {"photoURL": media_key})
        extension = upload.filename.rsplit(".", 1)[-1].lower() if "." in upload.filename else ""
        return self._send(
            peer_id,
            "sampleFile",
            {"mediaId": media_key, "fileName": upload.filename, "fileType": extension},
        )

    def upload(self, kind: str, upload: Upload) -> str:
        def call(access: str) -> str:
            with http_client() as http:
                response = http.post(
                    f"{oapi_base(self.base)}/media/upload",
                    params={"access_token": access},
                    data={"type": kind},
                    files={"media": (upload.filename, upload.data, upload.content_type)},
                )
            data = json_of(response)
            code = data.get("errcode", 0)
            if code not in (0, None):
                message = str(data.get("errmsg", ""))
                if code in (40014, 42001):  # invalid / expired access_token
                    raise TokenRejected(str(code), message)
                if code in (90002, 90018):  # the oapi flow-control codes
                    raise PlatformRateLimited(str(code), message)
                raise PlatformError(str(code), message)
            media_id = str(data.get("media_id", ""))
            if not media_id:
                raise PlatformError("no_media_id", "no media_id in the answer")
            return media_id

        result: str = with_token(self.account, self, call)
        return result

    def fetch_profiles(self, peer_ids: list[str]) -> list[Profile]:
        return []  # the robot callback names its sender (senderNick)

    def _send(self, peer_id: str, template: str, param: dict[str, str]) -> str:
        body = {
            "robotCode": self.account.robot_code or self.account.app_id,
            "userIds": [peer_id],
            "msgKey": template,
            "msgParam": json.dumps(param, ensure_ascii=False),
        }

        def call(access: str) -> str:
            with http_client() as http:
                data = checked(
                    http.post(
                        f"{self.base}/v1.0/robot/oToMessages/batchSend",
                        headers={"x-acs-dingtalk-access-token": access},
                        json=body,
                    )
                )
            return str(data.get("processQueryKey", ""))

        result: str = with_token(self.account, self, call)
        return result

    def download(self, media: MediaRef) -> Download:
        def call(access: str) -> Download:
            with http_client() as http:
                data = checked(
                    http.post(
                        f"{self.base}/v1.0/robot/messageFiles/download",
                        headers={"x-acs-dingtalk-access-token": access},
                        json={
                            "downloadCode": media.key,
                            "robotCode": media.extra or self.account.robot_code,
                        },
                    )
                )
                url = str(data.get("downloadUrl", ""))
                if not url.startswith(("https://", "http://")):
                    raise PlatformError("no_url", "no download URL in the answer")
                response = http.get(url)
            if response.status_code != 200:
                raise PlatformError(str(response.status_code), "the download failed")
            fallback = media.filename or ("image.png" if media.kind == "image" else "file")
            content_type = response.headers.get("content-type", "").split(";")[0].strip()
            return Download(
                filename=media.filename or filename_of(response, fallback),
                content_type=content_type or "application/octet-stream",
                data=read_media(response),
            )

        result: Download = with_token(self.account, self, call)
        return result
