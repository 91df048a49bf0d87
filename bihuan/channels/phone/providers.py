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
code and message; the engine retries. ``SmsSendError.reason`` sorts the refusal into what an
admin can act on (``REASONS``: wrong key, sign name or template, rate limited, unreachable…),
read from the error codes each provider documents.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from bihuan.channels.phone import signing
from bihuan.channels.phone.choices import SmsProviderKind
from bihuan.channels.phone.models import SmsProvider

TIMEOUT_SECONDS = 10.0


# What went wrong, in words an admin can act on (the provider's own code and message are
# shown beside it).
REASONS: dict[str, Promise] = {
    "credentials": _(
        "The key id or key secret is wrong: the provider did not accept our signed request."
    ),
    "sign_or_template": _(
        "The sign name or the template is wrong or not approved by the provider yet."
    ),
    "rate_limited": _("The provider's rate or daily limit was reached: try again later."),
    "bad_number": _("The provider does not accept this phone number."),
    "balance": _("The provider's account has no SMS left (balance or package used up)."),
    "timeout": _("The provider did not answer in time."),
    "unreachable": _("The provider's address cannot be reached (check the API URL)."),
    "refused": _("The provider refused the message."),
}


class SmsSendError(Exception):
    """The provider refused the message or could not be reached.

    ``code`` and ``detail`` are the provider's error code and message (or the transport
    error); ``reason`` is a key of ``REASONS``."""

    def __init__(self, code: str, detail: str = "", *, reason: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail
        self.reason = reason or classify(code)

    @property
    def explanation(self) -> str:
        return str(REASONS[self.reason])


_CREDENTIAL_PREFIXES = ("AUTHFAILURE", "UNAUTHORIZEDOPERATION", "INVALIDACCESSKEYID", "FORBIDDEN")
_CREDENTIAL_CODES = frozenset(
    {
        "SIGNATUREDOESNOTMATCH",
        "INCOMPLETESIGNATURE",
        "ISV.ACCOUNT_NOT_EXISTS",
        "ISP.RAM_PERMISSION_DENY",
    }
)


def classify(code: str) -> str:
    """The ``REASONS`` key of a provider's error code (Aliyun's ``isv.*``/``isp.*`` and
    request codes, Tencent's ``AuthFailure.*``/``FailedOperation.*``/``LimitExceeded.*``, the
    gateway's ``HTTP <status>``)."""
    upper = code.upper()
    if upper.startswith("HTTP "):
        status = upper[5:8]
        if status in {"401", "403"}:
            return "credentials"
        if status == "429":
            return "rate_limited"
        return "unreachable" if status.startswith("5") else "refused"
    if upper.startswith(_CREDENTIAL_PREFIXES) or upper in _CREDENTIAL_CODES:
        return "credentials"
    if "LIMIT" in upper or upper.startswith("THROTTLING"):
        return "rate_limited"
    if "SIGN" in upper or "TEMPLATE" in upper:
        return "sign_or_template"
    if "MOBILE" in upper or "PHONENUMBER" in upper:
        return "bad_number"
    if upper in {"ISV.OUT_OF_SERVICE", "ISV.AMOUNT_NOT_ENOUGH"} or "BALANCE" in upper:
        return "balance"
    if upper in {"SERVICEUNAVAILABLE", "INTERNALERROR", "ISP.SYSTEM_ERROR"}:
        return "unreachable"
    return "refused"


def _transport_error(exc: httpx.HTTPError) -> SmsSendError:
    reason = "timeout" if isinstance(exc, httpx.TimeoutException) else "unreachable"
    return SmsSendError(type(exc).__name__, str(exc), reason=reason)


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
        raise SmsSendError(f"HTTP {response.status_code}", "not JSON") from exc
    if not isinstance(data, dict):
        raise SmsSendError(f"HTTP {response.status_code}", "unexpected answer")
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
        raise _transport_error(exc) from exc
    data = _json(response)
    if data.get("Code") != "OK":
        raise SmsSendError(str(data.get("Code")), str(data.get("Message") or ""))
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
        raise _transport_error(exc) from exc
    answer = _json(response).get("Response")
    if not isinstance(answer, dict):
        raise SmsSendError(f"HTTP {response.status_code}", "the answer has no Response")
    error = answer.get("Error")
    if isinstance(error, dict):
        raise SmsSendError(str(error.get("Code")), str(error.get("Message") or ""))
    statuses = answer.get("SendStatusSet")
    if not isinstance(statuses, list) or not statuses or not isinstance(statuses[0], dict):
        raise SmsSendError(f"HTTP {response.status_code}", "the answer has no SendStatusSet")
    status = statuses[0]
    if status.get("Code") != "Ok":
        raise SmsSendError(str(status.get("Code")), str(status.get("Message") or ""))
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
        raise _transport_error(exc) from exc
    data = _json(response)
    if response.status_code >= 300 or not data.get("id"):
        raise SmsSendError(f"HTTP {response.status_code}", str(data.get("error") or data))
    return Sent(str(data["id"]))


SENDERS = {
    SmsProviderKind.ALIYUN: send_aliyun,
    SmsProviderKind.TENCENT: send_tencent,
    SmsProviderKind.GENERIC: send_generic,
}


def send(provider: SmsProvider, *, to: str, text: str, reference: str) -> Sent:
    """Send ``text`` to ``to`` (E.164) through ``provider``; raises ``SmsSendError``."""
    return SENDERS[SmsProviderKind(provider.kind)](provider, to=to, text=text, reference=reference)
