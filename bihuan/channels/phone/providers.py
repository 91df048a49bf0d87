"""SMS provider adapters: each sends one text to one number and answers the provider's id.

- Aliyun SMS ``SendSms`` (API version 2017-05-25, RPC style): a GET whose query carries the
  common parameters and the signature v1 (``signing.aliyun_signature``). The text goes in
  the template's variable ``content`` (``TemplateParam``).
- Tencent Cloud SMS ``SendSms`` (API version 2021-01-11): a JSON POST signed with
  TC3-HMAC-SHA256 (``signing.tencent_authorization``); the text is the template's one
  parameter.
- The HTTP gateway: our JSON POST ``{"to", "text", "reference"}`` signed like our webhooks
  with the provider's secret, answered by ``{"id": "..."}``.

Base URLs are configuration (``SmsProvider.base_url``), so tests point them at a loopback
server speaking the same protocol. Any refusal raises ``SmsSendError`` with the provider's
code and message; the engine retries.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx

from bihuan.channels.phone import signing
from bihuan.channels.phone.choices import SmsProviderKind
from bihuan.channels.phone.models import SmsProvider

TIMEOUT_SECONDS = 10.0


class SmsSendError(Exception):
    """The provider refused the message or could not be reached."""


@dataclass(frozen=True)
class Sent:
    provider_message_id: str


def _national(e164: str) -> str:
    """Aliyun takes mainland numbers without a prefix and others as digits with the
    country code."""
    return e164[3:] if e164.startswith("+86") else e164.lstrip("+")


def _json(response: httpx.Response) -> dict[str, object]:
    try:
        data = response.json()
    except ValueError as exc:
        raise SmsSendError(f"HTTP {response.status_code}: not JSON") from exc
    if not isinstance(data, dict):
        raise SmsSendError(f"HTTP {response.status_code}: unexpected answer")
    return data


def send_aliyun(provider: SmsProvider, *, to: str, text: str, reference: str) -> Sent:
    params = {
        "AccessKeyId": provider.access_key_id,
        "Action": "SendSms",
        "Format": "JSON",
        "OutId": reference,
        "PhoneNumbers": _national(to),
        "RegionId": provider.region or "cn-hangzhou",
        "SignName": provider.sign_name,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": str(uuid.uuid4()),
        "SignatureVersion": "1.0",
        "TemplateCode": provider.template_code,
        "TemplateParam": json.dumps({"content": text}, ensure_ascii=False),
        "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Version": "2017-05-25",
    }
    signature = signing.aliyun_signature(provider.access_key_secret, params)
    query = "Signature=" + signing.aliyun_percent_encode(signature)
    query += "&" + signing.aliyun_canonical_query(params)
    url = provider.base_url.rstrip("/") + "/?" + query
    try:
        response = httpx.get(url, timeout=TIMEOUT_SECONDS)
    except httpx.HTTPError as exc:
        raise SmsSendError(f"{type(exc).__name__}: {exc}") from exc
    data = _json(response)
    if data.get("Code") != "OK":
        raise SmsSendError(f"{data.get('Code')}: {data.get('Message')}")
    return Sent(str(data.get("BizId") or ""))


def send_tencent(provider: SmsProvider, *, to: str, text: str, reference: str) -> Sent:
    body = json.dumps(
        {
            "PhoneNumberSet": [to],
            "SmsSdkAppId": provider.sdk_app_id,
            "SignName": provider.sign_name,
            "TemplateId": provider.template_code,
            "TemplateParamSet": [text],
            "SessionContext": reference,
        },
        ensure_ascii=False,
    ).encode()
    host = urlsplit(provider.base_url).netloc
    timestamp = int(time.time())
    headers = {
        "Authorization": signing.tencent_authorization(
            secret_id=provider.access_key_id,
            secret_key=provider.access_key_secret,
            service="sms",
            host=host,
            payload=body,
            timestamp=timestamp,
        ),
        "Content-Type": "application/json; charset=utf-8",
        "Host": host,
        "X-TC-Action": "SendSms",
        "X-TC-Timestamp": str(timestamp),
        "X-TC-Version": "2021-01-11",
        "X-TC-Region": provider.region or "ap-guangzhou",
    }
    try:
        response = httpx.post(
            provider.base_url.rstrip("/") + "/",
            content=body,
            headers=headers,
            timeout=TIMEOUT_SECONDS,
        )
    except httpx.HTTPError as exc:
        raise SmsSendError(f"{type(exc).__name__}: {exc}") from exc
    answer = _json(response).get("Response")
    if not isinstance(answer, dict):
        raise SmsSendError("the answer has no Response")
    error = answer.get("Error")
    if isinstance(error, dict):
        raise SmsSendError(f"{error.get('Code')}: {error.get('Message')}")
    statuses = answer.get("SendStatusSet")
    if not isinstance(statuses, list) or not statuses or not isinstance(statuses[0], dict):
        raise SmsSendError("the answer has no SendStatusSet")
    status = statuses[0]
    if status.get("Code") != "Ok":
        raise SmsSendError(f"{status.get('Code')}: {status.get('Message')}")
    return Sent(str(status.get("SerialNo") or ""))


def send_generic(provider: SmsProvider, *, to: str, text: str, reference: str) -> Sent:
    body = json.dumps({"to": to, "text": text, "reference": reference}, ensure_ascii=False)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        signing.TIMESTAMP_HEADER: timestamp,
        signing.SIGNATURE_HEADER: signing.sign_webhook(
            provider.access_key_secret, timestamp, body.encode()
        ),
    }
    try:
        response = httpx.post(
            provider.base_url, content=body.encode(), headers=headers, timeout=TIMEOUT_SECONDS
        )
    except httpx.HTTPError as exc:
        raise SmsSendError(f"{type(exc).__name__}: {exc}") from exc
    data = _json(response)
    if response.status_code >= 300 or not data.get("id"):
        raise SmsSendError(f"HTTP {response.status_code}: {data.get('error') or data}")
    return Sent(str(data["id"]))


SENDERS = {
    SmsProviderKind.ALIYUN: send_aliyun,
    SmsProviderKind.TENCENT: send_tencent,
    SmsProviderKind.GENERIC: send_generic,
}


def send(provider: SmsProvider, *, to: str, text: str, reference: str) -> Sent:
    """Send ``text`` to ``to`` (E.164) through ``provider``; raises ``SmsSendError``."""
    return SENDERS[SmsProviderKind(provider.kind)](provider, to=to, text=text, reference=reference)
