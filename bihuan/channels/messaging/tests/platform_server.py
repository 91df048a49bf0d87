"""A loopback HTTP server that speaks the four platforms' documented APIs (the parts Bihuan
calls): access tokens, WeCom ``kf/sync_msg`` and ``kf/send_msg``, WeChat ``media/get`` and
``message/custom/send``, Feishu ``tenant_access_token``, IM send and resources, DingTalk
``oauth2/accessToken``, robot ``batchSend`` and ``messageFiles/download``.

It records every request, issues numbered tokens (and checks them on every API call, as the
platforms do), and answers queued errors first, so tests can make it rate-limit or refuse.
"""

from __future__ import annotations

import json
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


@dataclass
class PlatformServer:
    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    issued: list[str] = field(default_factory=list)
    send_errors: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    sync_pages: list[dict[str, Any]] = field(default_factory=list)
    media: dict[str, tuple[bytes, str, str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def calls(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == path]


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
            body: Any = json.loads(raw) if raw else None
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
