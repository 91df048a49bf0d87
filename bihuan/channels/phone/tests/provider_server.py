"""A loopback HTTP server speaking the three SMS providers' send protocols, for tests.

It checks each request the way the provider does — Aliyun's signature v1 over the query
(GET /), Tencent's TC3 ``Authorization`` over the JSON body (POST / with ``X-TC-Action``),
our gateway's HMAC headers (POST /send) — and answers in the provider's documented shape.
``fail_next`` makes the next answers server errors (a provider outage); ``refuse_next``
makes the next answer a refusal with the given documented error code, in the provider's own
shape; ``delay_seconds`` holds every answer back (a slow provider)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from django.utils import timezone

from bihuan.channels.phone import signing

ALIYUN_SECRET = "aliyun-secret-测试"
TENCENT_SECRET = "tencent-secret-key"
GATEWAY_SECRET = "gateway-shared-secret"


@dataclass
class ProviderServer:
    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    fail_next: int = 0
    refuse_next: tuple[str, str] | None = None  # (error code, message)
    delay_seconds: float = 0.0


def _answer(handler: BaseHTTPRequestHandler, status: int, data: dict[str, Any]) -> None:
    body = json.dumps(data).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def _handler(state: ProviderServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _outage(self) -> bool:
            if state.delay_seconds:
                time.sleep(state.delay_seconds)
            if state.fail_next > 0:
                state.fail_next -= 1
                _answer(self, 503, {"Code": "ServiceUnavailable"})
                return True
            return False

        def do_GET(self) -> None:  # Aliyun SendSms (RPC, GET)
            if self._outage():
                return
            params = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
            given = params.pop("Signature", "")
            state.requests.append({"provider": "aliyun", **params})
            if given != signing.aliyun_signature(ALIYUN_SECRET, params):
                _answer(self, 400, {"Code": "SignatureDoesNotMatch", "Message": "bad"})
                return
            if state.refuse_next is not None:
                code, message = state.refuse_next
                state.refuse_next = None
                _answer(self, 200, {"Code": code, "Message": message, "RequestId": "r"})
                return
            _answer(
                self, 200, {"Code": "OK", "Message": "OK", "BizId": f"biz-{len(state.requests)}"}
            )

        def do_POST(self) -> None:
            if self._outage():
                return
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.headers.get("X-TC-Action") == "SendSms":
                self._tencent(body)
            else:
                self._gateway(body)

        def _tencent(self, body: bytes) -> None:
            data = json.loads(body)
            state.requests.append({"provider": "tencent", **data})
            expected = signing.tencent_authorization(
                secret_id="AKIDtest",
                secret_key=TENCENT_SECRET,
                service="sms",
                host=self.headers["Host"],
                payload=body,
                timestamp=int(self.headers["X-TC-Timestamp"]),
            )
            if self.headers.get("Authorization") != expected or (
                self.headers.get("X-TC-Version") != "2021-01-11"
            ):
                _answer(self, 200, {"Response": {"Error": {"Code": "AuthFailure", "Message": "x"}}})
                return
            serial = f"serial-{len(state.requests)}"
            status = {"SerialNo": serial, "PhoneNumber": data["PhoneNumberSet"][0], "Code": "Ok"}
            if state.refuse_next is not None:
                # A refusal of one number is reported in its SendStatusSet entry.
                status["Code"], status["Message"] = state.refuse_next
                status["SerialNo"] = ""
                state.refuse_next = None
            _answer(self, 200, {"Response": {"SendStatusSet": [status], "RequestId": "r"}})

        def _gateway(self, body: bytes) -> None:
            data = json.loads(body)
            state.requests.append({"provider": "generic", **data})
            try:
                signing.verify_webhook(
                    GATEWAY_SECRET,
                    timestamp=self.headers.get(signing.TIMESTAMP_HEADER),
                    signature=self.headers.get(signing.SIGNATURE_HEADER),
                    body=body,
                    now=timezone.now(),
                )
            except signing.SignatureError as exc:
                _answer(self, 401, {"error": str(exc)})
                return
            if state.refuse_next is not None:
                code, message = state.refuse_next
                state.refuse_next = None
                _answer(self, int(code), {"error": message})
                return
            _answer(self, 200, {"id": f"gw-{len(state.requests)}"})

    return Handler


def serve() -> Iterator[ProviderServer]:
    state = ProviderServer()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    # A short poll interval: shutdown() waits up to one interval, once per test.
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
