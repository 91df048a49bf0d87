"""What WeCom and the WeChat Official Account share: XML callbacks and ``errcode`` answers."""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element, ParseError

import httpx
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from bihuan.channels.messaging.platforms.base import (
    CallbackRefused,
    PlatformError,
    PlatformRateLimited,
    TokenRejected,
    json_of,
)

# 40001 invalid credential, 40014 invalid access_token, 42001 access_token expired
TOKEN_ERRORS = {40001, 40014, 42001}
# 45009 API daily/minute limit, 45011 API minute-quota, 45033 too many concurrent calls,
# 45047 WeChat's customer-service message limit, 95001 WeCom kf send limit
RATE_LIMIT_ERRORS = {45009, 45011, 45033, 45047, 95001}


def parse_xml(data: bytes) -> Element:
    """Parse callback XML; any DTD or entity declaration (XXE, billion laughs) is refused."""
    try:
        return fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise CallbackRefused(400, "XML with a DTD or entities") from exc
    except ParseError as exc:
        raise CallbackRefused(400, "malformed XML") from exc


def field(root: Element, name: str) -> str:
    found = root.find(name)
    return (found.text or "").strip() if found is not None else ""


def checked(response: httpx.Response) -> dict[str, Any]:
    """The JSON answer; raises the platform's error (rate limit, rejected token, other)."""
    data = json_of(response)
    code = data.get("errcode", 0)
    if code in (0, None):
        return data
    message = str(data.get("errmsg", ""))
    if code in TOKEN_ERRORS:
        raise TokenRejected(str(code), message)
    if code in RATE_LIMIT_ERRORS:
        raise PlatformRateLimited(str(code), message)
    raise PlatformError(str(code), message)
