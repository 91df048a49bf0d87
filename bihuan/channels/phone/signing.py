"""Signatures: our webhooks' HMAC-SHA256, Aliyun's RPC signature v1, Tencent's TC3.

Our webhooks (the call-centre's events, inbound SMS, delivery receipts, the HTTP gateway's
send request) carry two headers::

    X-Bihuan-Timestamp: 1733472000                       (Unix seconds)
    X-Bihuan-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>

A request more than ``MAX_SKEW_SECONDS`` away from our clock is refused, and so is the same
signed request a second time (the services keep each accepted signature for longer than the
window).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import quote

MAX_SKEW_SECONDS = 300
TIMESTAMP_HEADER = "X-Bihuan-Timestamp"
SIGNATURE_HEADER = "X-Bihuan-Signature"


class SignatureError(Exception):
    """The request's signature is missing, wrong or too old."""


def sign_webhook(secret: str, timestamp: int | str, body: bytes) -> str:
    """The ``X-Bihuan-Signature`` value of ``body`` sent at ``timestamp``."""
    message = str(timestamp).encode("ascii") + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify_webhook(
    secret: str, *, timestamp: str | None, signature: str | None, body: bytes, now: datetime
) -> None:
    """Raise ``SignatureError`` unless ``signature`` signs ``body`` at a fresh ``timestamp``."""
    if not secret:
        raise SignatureError("no webhook secret is configured")
    if not timestamp or not signature:
        raise SignatureError("missing signature headers")
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        raise SignatureError("malformed timestamp")
    if abs(now.timestamp() - int(timestamp)) > MAX_SKEW_SECONDS:
        raise SignatureError("stale timestamp")
    expected = sign_webhook(secret, timestamp, body)
    if not hmac.compare_digest(expected.encode(), signature.strip().encode("utf-8", "replace")):
        raise SignatureError("bad signature")


# --- Aliyun RPC signature v1 -----------------------------------------------------------


def aliyun_percent_encode(value: str) -> str:
    """Aliyun's percent-encoding: RFC 3986 unreserved characters kept (``A-Z a-z 0-9 - _ .
    ~``), everything else as ``%XX`` of its UTF-8 bytes, upper-case hex (so a space is
    ``%20``, ``*`` is ``%2A`` and ``~`` stays)."""
    return quote(value, safe="-_.~")


def aliyun_canonical_query(params: Mapping[str, str]) -> str:
    """The parameters (without ``Signature``) sorted by name, each encoded, joined by ``&``."""
    return "&".join(
        f"{aliyun_percent_encode(k)}={aliyun_percent_encode(v)}"
        for k, v in sorted(params.items())
        if k != "Signature"
    )


def aliyun_signature(secret: str, params: Mapping[str, str], *, method: str = "GET") -> str:
    """Base64(HMAC-SHA1(secret + "&", METHOD & %2F & encode(canonical query)))."""
    to_sign = "&".join(
        [method, aliyun_percent_encode("/"), aliyun_percent_encode(aliyun_canonical_query(params))]
    )
    digest = hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


# --- Tencent Cloud TC3-HMAC-SHA256 ----------------------------------------------------------


def _hmac256(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def tencent_authorization(
    *,
    secret_id: str,
    secret_key: str,
    service: str,
    host: str,
    payload: bytes,
    timestamp: int,
    content_type: str = "application/json; charset=utf-8",
) -> str:
    """The ``Authorization`` header of a POST of ``payload`` (JSON) signed with TC3."""
    canonical_request = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:{content_type}\nhost:{host}\n",
            "content-type;host",
            hashlib.sha256(payload).hexdigest(),
        ]
    )
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    scope = f"{date}/{service}/tc3_request"
    to_sign = "\n".join(
        [
            "TC3-HMAC-SHA256",
            str(timestamp),
            scope,
            hashlib.sha256(canonical_request.encode()).hexdigest(),
        ]
    )
    key = _hmac256(_hmac256(_hmac256(f"TC3{secret_key}".encode(), date), service), "tc3_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return (
        f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, "
        f"SignedHeaders=content-type;host, Signature={signature}"
    )
