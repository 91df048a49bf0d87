"""Helpers of the phone tests: signed webhook requests through Django's test client."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from django.test import Client

from bihuan.channels.phone.signing import sign_webhook

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

SECRET = "cti-secret-示例-0001"


def post_signed(
    client: Client,
    url: str,
    payload: Any,
    *,
    secret: str = SECRET,
    timestamp: int | None = None,
    signature: str | None = None,
) -> Response:
    body = json.dumps(payload, ensure_ascii=False).encode()
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return client.post(
        url,
        data=body,
        content_type="application/json",
        headers={
            "X-Bihuan-Timestamp": stamp,
            "X-Bihuan-Signature": signature or sign_webhook(secret, stamp, body),
        },
    )
