"""A loopback HTTP server that speaks the four platforms' documented APIs (the parts Bihuan
calls): access tokens, WeCom ``kf/sync_msg``, ``kf/send_msg``, ``kf/customer/batchget`` and
``kf/account/list``, WeCom/WeChat ``media/get`` and ``media/upload``, WeChat
``message/custom/send`` and ``user/info``, Feishu ``tenant_access_token``, IM send, resources,
``im/v1/images``, ``im/v1/files`` and ``contact/v3/users``, DingTalk ``oauth2/accessToken``,
robot ``batchSend`` and ``messageFiles/download``, oapi ``media/upload``.

It records every request (multipart uploads parsed into their fields and files), issues
numbered tokens (and checks them on every API call, as the platforms do), and answers queued
errors first, so tests can make it rate-limit or refuse. One server serves a whole test
session: the ``platform`` fixture resets its state before each test.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

SECRET = "s3cret-平台"


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass(frozen=True)
class Part:
    """A file of a multipart upload."""

    filename: str
    content_type: str
    data: bytes


KF_ACCOUNTS = {"wkAJ2GCAAASSm4_FhToWMFea0xAFfd3Q": "咨询客服"}


@dataclass
class PlatformServer:
    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    issued: list[str] = field(default_factory=list)
    send_errors: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    # Answers of the upload and profile APIs, before their normal answer.
    upload_errors: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    profile_errors: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    sync_pages: list[dict[str, Any]] = field(default_factory=list)
    media: dict[str, tuple[bytes, str, str]] = field(default_factory=dict)
    # peer id → {"name", "avatar", "unionid"}: what the profile APIs know.
    profiles: dict[str, dict[str, str]] = field(default_factory=dict)
    kf_accounts: dict[str, str] = field(default_factory=lambda: dict(KF_ACCOUNTS))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def calls(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == path]

    def reset(self) -> None:
        """Forget every request, token, queued answer and stored media (between tests)."""
        with self.lock:
            fresh = PlatformServer(url=self.url)
            for name in self.__dataclass_fields__:
                if name not in ("url", "lock"):
                    setattr(self, name, getattr(fresh, name))


def parse_multipart(content_type: str, raw: bytes) -> dict[str, Any]:
    """The fields (str) and files (``Part``) of a multipart/form-data body."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if match is None:
        return {}
    parsed: dict[str, Any] = {}
    for chunk in raw.split(b"--" + match.group(1).encode())[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk.removeprefix(b"\r\n").removesuffix(b"\r\n")
        head, _, data = chunk.partition(b"\r\n\r\n")
        headers = head.decode()
        name = re.search(r'name="([^"]*)"', headers)
        filename = re.search(r'filename="([^"]*)"', headers)
        kind = re.search(r"Content-Type: *([^\r\n]+)", headers, re.IGNORECASE)
        if name is None:
            continue
        if filename is None:
            parsed[name.group(1)] = data.decode()
        else:
            parsed[name.group(1)] = Part(
                filename.group(1), kind.group(1).strip() if kind else "", data
            )
    return parsed


def _handler(server: PlatformServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _answer(self, status: int, data: Any) -> None:
            body = json.dumps(data, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _file(self, key: str) -> None:
            data, content_type, name = server.media[key]
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Disposition", f"attachment; filename*=UTF-8''{quote(name)}")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _issue(self, prefix: str) -> str:
            with server.lock:
                token = f"{prefix}-{len(server.issued) + 1}"
                server.issued.append(token)
            return token

        def _record(self) -> Recorded:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            content_type = self.headers.get("Content-Type", "")
            body: Any = None
            if content_type.startswith("multipart/form-data"):
                body = parse_multipart(content_type, raw)
            elif raw:
                body = json.loads(raw)
            recorded = Recorded(
                method=self.command,
                path=parts.path,
                query={k: v[0] for k, v in parse_qs(parts.query).items()},
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
            )
            with server.lock:
                server.requests.append(recorded)
            return recorded

        def _send_error(self) -> tuple[int, dict[str, Any]] | None:
            with server.lock:
                return server.send_errors.pop(0) if server.send_errors else None

        def _queued(self, errors: list[tuple[int, dict[str, Any]]]) -> bool:
            with server.lock:
                error = errors.pop(0) if errors else None
            if error is not None:
                self._answer(*error)
            return error is not None

        def _media_id(self, prefix: str) -> str:
            # Numbered by the uploads received so far: MEDIA_image-1, file_v3_up-2, …
            with server.lock:
                uploads = [
                    r
                    for r in server.requests
                    if isinstance(r.body, dict)
                    and any(isinstance(v, Part) for v in r.body.values())
                ]
                return f"{prefix}-{len(uploads)}"

        def do_GET(self) -> None:
            r = self._record()
            if r.path in ("/cgi-bin/gettoken", "/cgi-bin/token"):
                secret = r.query.get("corpsecret") or r.query.get("secret")
                if secret != SECRET:
                    self._answer(200, {"errcode": 40001, "errmsg": "invalid credential"})
                    return
                self._answer(
                    200,
                    {
                        "errcode": 0,
                        "errmsg": "ok",
                        "access_token": self._issue("wx"),
                        "expires_in": 7200,
                    },
                )
            elif r.path == "/cgi-bin/media/get":
                if r.query.get("access_token") not in server.issued:
                    self._answer(200, {"errcode": 40014, "errmsg": "invalid access_token"})
                    return
                self._file(r.query["media_id"])
            elif r.path.startswith("/open-apis/im/v1/messages/"):
                if r.headers.get("authorization", "")[7:] not in server.issued:
                    self._answer(400, {"code": 99991663, "msg": "Invalid access token"})
                    return
                self._file(r.path.rsplit("/", 1)[-1])
            elif r.path.startswith("/dl/"):
                self._file(r.path[4:])
            elif r.path == "/cgi-bin/user/info":
                if r.query.get("access_token") not in server.issued:
                    self._answer(200, {"errcode": 40014, "errmsg": "invalid access_token"})
                    return
                if self._queued(server.profile_errors):
                    return
                openid = r.query.get("openid", "")
                known = server.profiles.get(openid)
                if known is None:  # not a follower (any more)
                    self._answer(200, {"subscribe": 0, "openid": openid})
                    return
                self._answer(
                    200,
                    {
                        "subscribe": 1,
                        "openid": openid,
                        "nickname": known.get("name", ""),
                        "headimgurl": known.get("avatar", ""),
                        "language": "zh_CN",
                        "unionid": known.get("unionid", ""),
                    },
                )
            elif r.path.startswith("/open-apis/contact/v3/users/"):
                if r.headers.get("authorization", "")[7:] not in server.issued:
                    self._answer(400, {"code": 99991663, "msg": "Invalid access token"})
                    return
                if self._queued(server.profile_errors):
                    return
                open_id = r.path.rsplit("/", 1)[-1]
                known = server.profiles.get(open_id)
                if known is None or r.query.get("user_id_type") != "open_id":
                    self._answer(400, {"code": 41050, "msg": "no user authority error"})
                    return
                user = {
                    "open_id": open_id,
                    "union_id": known.get("unionid", ""),
                    "name": known.get("name", ""),
                    "avatar": {"avatar_72": known.get("avatar", "")},
                }
                self._answer(200, {"code": 0, "msg": "success", "data": {"user": user}})
            else:
                self._answer(404, {"errcode": 404, "errmsg": "not found"})

        def do_POST(self) -> None:
            r = self._record()
            body = r.body or {}
            tencent_ok = r.query.get("access_token") in server.issued
            ding_ok = r.headers.get("x-acs-dingtalk-access-token") in server.issued
            feishu_ok = r.headers.get("authorization", "")[7:] in server.issued
            if r.path == "/cgi-bin/kf/sync_msg":
                if not tencent_ok:
                    self._answer(200, {"errcode": 40014, "errmsg": "invalid access_token"})
                    return
                page = (
                    server.sync_pages.pop(0)
                    if server.sync_pages
                    else {"next_cursor": body.get("cursor", ""), "has_more": 0, "msg_list": []}
                )
                self._answer(200, {"errcode": 0, "errmsg": "ok", **page})
            elif r.path in ("/cgi-bin/kf/send_msg", "/cgi-bin/message/custom/send"):
                if not tencent_ok:
                    self._answer(200, {"errcode": 40014, "errmsg": "invalid access_token"})
                    return
                error = self._send_error()
                if error is not None:
                    self._answer(*error)
                    return
                self._answer(
                    200, {"errcode": 0, "errmsg": "ok", "msgid": f"sent-{len(server.requests)}"}
                )
            elif r.path == "/cgi-bin/kf/customer/batchget":
                if not tencent_ok:
                    self._answer(200, {"errcode": 40014, "errmsg": "invalid access_token"})
                    return
                if self._queued(server.profile_errors):
                    return
                wanted = [str(i) for i in body.get("external_userid_list", [])]
                customers = [
                    {
                        "external_userid": peer,
                        "nickname": server.profiles[peer].get("name", ""),
                        "avatar": server.profiles[peer].get("avatar", ""),
                        "gender": 0,
                        "unionid": server.profiles[peer].get("unionid", ""),
                    }
                    for peer in wanted
                    if peer in server.profiles
                ]
                self._answer(
                    200,
                    {
                        "errcode": 0,
                        "errmsg": "ok",
                        "customer_list": customers,
                        "invalid_external_userid": [p for p in wanted if p not in server.profiles],
                    },
                )
            elif r.path == "/cgi-bin/kf/account/list":
                if not tencent_ok:
                    self._answer(200, {"errcode": 40014, "errmsg": "invalid access_token"})
                    return
                accounts = [
                    {"open_kfid": kfid, "name": name, "avatar": "https://wx.qlogo.cn/x"}
                    for kfid, name in server.kf_accounts.items()
                ]
                self._answer(200, {"errcode": 0, "errmsg": "ok", "account_list": accounts})
            elif r.path in ("/cgi-bin/media/upload", "/media/upload"):
                # WeCom and WeChat: type in the query; DingTalk's oapi: type in the form.
                if not tencent_ok:
                    self._answer(200, {"errcode": 40014, "errmsg": "invalid access_token"})
                    return
                if self._queued(server.upload_errors):
                    return
                kind = r.query.get("type") or body.get("type", "")
                if not isinstance(body.get("media"), Part) or kind not in ("image", "file"):
                    self._answer(200, {"errcode": 40004, "errmsg": "invalid media type"})
                    return
                self._answer(
                    200,
                    {
                        "errcode": 0,
                        "errmsg": "ok",
                        "type": kind,
                        "media_id": self._media_id(f"MEDIA_{kind}"),
                        "created_at": "1380000000",
                    },
                )
            elif r.path in ("/open-apis/im/v1/images", "/open-apis/im/v1/files"):
                if not feishu_ok:
                    self._answer(400, {"code": 99991663, "msg": "Invalid access token"})
                    return
                if self._queued(server.upload_errors):
                    return
                if r.path.endswith("images"):
                    ok = body.get("image_type") == "message" and isinstance(body.get("image"), Part)
                    data = {"image_key": self._media_id("img_v3_up")}
                else:
                    ok = isinstance(body.get("file"), Part) and bool(body.get("file_type"))
                    data = {"file_key": self._media_id("file_v3_up")}
                if not ok:
                    self._answer(400, {"code": 234001, "msg": "Invalid request param."})
                    return
                self._answer(200, {"code": 0, "msg": "success", "data": data})
            elif r.path == "/open-apis/auth/v3/tenant_access_token/internal":
                if body.get("app_secret") != SECRET:
                    self._answer(200, {"code": 10014, "msg": "app secret invalid"})
                    return
                self._answer(
                    200,
                    {
                        "code": 0,
                        "msg": "ok",
                        "tenant_access_token": self._issue("t"),
                        "expire": 7200,
                    },
                )
            elif r.path == "/open-apis/im/v1/messages":
                if not feishu_ok:
                    self._answer(400, {"code": 99991663, "msg": "Invalid access token"})
                    return
                error = self._send_error()
                if error is not None:
                    self._answer(*error)
                    return
                self._answer(
                    200,
                    {
                        "code": 0,
                        "msg": "success",
                        "data": {"message_id": f"om_sent_{len(server.requests)}"},
                    },
                )
            elif r.path == "/v1.0/oauth2/accessToken":
                if body.get("appSecret") != SECRET:
                    self._answer(400, {"code": "invalidClientSecret", "message": "bad secret"})
                    return
                self._answer(200, {"accessToken": self._issue("ding"), "expireIn": 7200})
            elif r.path == "/v1.0/robot/oToMessages/batchSend":
                if not ding_ok:
                    self._answer(401, {"code": "InvalidAuthentication", "message": "token"})
                    return
                error = self._send_error()
                if error is not None:
                    self._answer(*error)
                    return
                self._answer(200, {"processQueryKey": f"pqk-{len(server.requests)}"})
            elif r.path == "/v1.0/robot/messageFiles/download":
                if not ding_ok:
                    self._answer(401, {"code": "InvalidAuthentication", "message": "token"})
                    return
                self._answer(200, {"downloadUrl": f"{server.url}/dl/{body['downloadCode']}"})
            else:
                self._answer(404, {"errcode": 404, "errmsg": "not found"})

    return Handler


@contextmanager
def running_platform_server() -> Iterator[PlatformServer]:
    state = PlatformServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
