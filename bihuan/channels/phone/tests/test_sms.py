"""SMS: the providers' signatures against their documented examples, sending through a
loopback server speaking each provider's protocol (with retries), inbound SMS and delivery
receipts by signed webhook (forged and replayed ones refused), and the settings pages."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from bihuan.channels.phone import providers, services
from bihuan.channels.phone.choices import SmsStatus
from bihuan.channels.phone.models import InboundSms, OutboundSms, SmsProvider, WebhookNonce
from bihuan.channels.phone.services import ProviderFields, save_provider, sms_segments
from bihuan.channels.phone.signing import (
    aliyun_percent_encode,
    aliyun_signature,
    sign_webhook,
    tencent_authorization,
)
from bihuan.channels.phone.tests import provider_server
from bihuan.channels.phone.tests.provider_server import ProviderServer
from bihuan.channels.phone.tests.webhooks import post_signed
from bihuan.core.errors import PermissionDenied, ValidationFailed
from bihuan.core.models import Event
from bihuan.core.runner import Runner
from bihuan.portal import services as portal_services
from bihuan.testing.factories import make_ticket
from bihuan.tickets.models import Message, Ticket
from bihuan.tickets.services import reply_to_customer

HOOK_SECRET = "sms-hook-secret"


def test_aliyun_signature_matches_the_documented_example() -> None:
    # Aliyun SMS "HTTP 协议及签名" worked example (testId / testSecret, SendSms,
    # signature zJDF+Lrzhj/ThnlvIToysFRq6t4=):
    # https://help.aliyun.com/document_detail/101343.html
    params = {
        "AccessKeyId": "testId",
        "Action": "SendSms",
        "Format": "XML",
        "OutId": "123",
        "PhoneNumbers": "15300000001",
        "RegionId": "cn-hangzhou",
        "SignName": "阿里云短信测试专用",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007",
        "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z",
        "Version": "2017-05-25",
    }

    signature = aliyun_signature("testSecret", params)

    assert signature == "zJDF+Lrzhj/ThnlvIToysFRq6t4="
    assert aliyun_percent_encode(signature) == "zJDF%2BLrzhj%2FThnlvIToysFRq6t4%3D"


def test_aliyun_percent_encoding_follows_the_documented_rules() -> None:
    # The same page: after URL-encoding, "+" becomes %20, "*" %2A and %7E goes back to "~".
    assert aliyun_percent_encode("a b*c~d/é") == "a%20b%2Ac~d%2F%C3%A9"


def test_tencent_tc3_signature_matches_the_documented_example() -> None:
    # Tencent Cloud API 3.0 "Signature v3" worked example (CVM DescribeInstances, timestamp
    # 1551113065, signature 72e494ea…5168): https://www.tencentcloud.com/document/api/382/40467
    payload = (
        b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
    )

    authorization = tencent_authorization(
        secret_id="AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
        secret_key="Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
        service="cvm",
        host="cvm.tencentcloudapi.com",
        payload=payload,
        timestamp=1551113065,
    )

    assert authorization == (
        "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/"
        "tc3_request, SignedHeaders=content-type;host, "
        "Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
    )


@pytest.mark.parametrize(("length", "segments"), [(1, 1), (70, 1), (71, 2), (134, 2), (135, 3)])
def test_sms_segments_are_70_characters_or_67_per_part_of_a_longer_one(
    length: int, segments: int
) -> None:
    assert sms_segments("退" * length) == segments


@pytest.mark.parametrize(
    ("text", "is_opt_out"),
    [
        ("TD", True),
        (" td ", True),
        ("ＴＤ", True),
        ("退订", True),
        ("回TD退订。", True),
        ("stop", True),
        ("n", True),
        ("TD 我的快递呢", False),
        ("退款", False),
        ("", False),
    ],
)
def test_an_opt_out_keyword_is_read_whatever_its_case_or_width(text: str, is_opt_out: bool) -> None:
    assert services.is_opt_out_text(text) is is_opt_out


@pytest.fixture
def server() -> Iterator[ProviderServer]:
    yield from provider_server.serve()


def _provider(kind: str, url: str, org: Any) -> SmsProvider:
    secrets = {
        "aliyun": ("LTAItest", provider_server.ALIYUN_SECRET),
        "tencent": ("AKIDtest", provider_server.TENCENT_SECRET),
        "generic": ("", provider_server.GATEWAY_SECRET),
    }
    key_id, secret = secrets[kind]
    return save_provider(
        kind,
        ProviderFields(
            base_url=url + ("/send" if kind == "generic" else ""),
            is_active=True,
            access_key_id=key_id,
            access_key_secret=secret,
            sign_name="闭环客服",
            template_code="SMS_100001",
            sdk_app_id="1400000001",
            webhook_secret=HOOK_SECRET,
        ),
        actor=org.admin,
    )


@pytest.mark.parametrize("kind", ["aliyun", "tencent", "generic"])
def test_a_reply_by_sms_is_delivered_through_the_active_provider(
    kind: str, server: ProviderServer, org: Any, settings: Any
) -> None:
    settings.BIHUAN_JOB_RETRY_SECONDS = 0
    settings.BIHUAN_SMS_REPLIES = True
    _provider(kind, server.url, org)
    ticket = make_ticket(phone="13800138000", channel="sms", body="快递到哪了？")
    text = "您好，您的快递已到达上海转运中心，预计明天送达。" * 3  # 75 characters: 2 segments
    server.fail_next = 1  # the provider is down for the first attempt

    reply_to_customer(ticket, body=text, actor=org.agent, channel="sms")
    Runner("test").run_until_idle()

    outbound = OutboundSms.objects.get()
    assert (outbound.status, outbound.segments, outbound.attempts) == (SmsStatus.SENT, 2, 2)
    assert outbound.provider_kind == kind
    sent = server.requests[-1]
    if kind == "aliyun":
        assert sent["PhoneNumbers"] == "13800138000"
        assert json.loads(sent["TemplateParam"]) == {"content": text}
        assert outbound.provider_message_id == "biz-1"
    elif kind == "tencent":
        assert (sent["PhoneNumberSet"], sent["TemplateParamSet"]) == (["+8613800138000"], [text])
        assert outbound.provider_message_id == "serial-1"
    else:
        assert (sent["to"], sent["text"]) == ("+8613800138000", text)
        assert outbound.provider_message_id == "gw-1"
    assert Event.objects.filter(verb="sms.sent", ticket_id=ticket.pk).count() == 1


def test_an_sms_the_provider_refuses_fails_after_its_attempts(
    server: ProviderServer, org: Any, settings: Any
) -> None:
    settings.BIHUAN_JOB_RETRY_SECONDS = 0
    settings.BIHUAN_SMS_REPLIES = True
    provider = _provider("aliyun", server.url, org)
    SmsProvider.objects.filter(pk=provider.pk).update(access_key_secret="wrong-secret")
    ticket = make_ticket(phone="13800138000", channel="sms")

    reply_to_customer(ticket, body="您好", actor=org.agent, channel="sms")
    Runner("test").run_until_idle()

    outbound = OutboundSms.objects.get()
    assert outbound.status == SmsStatus.FAILED
    assert outbound.attempts == services.MAX_DELIVERY_ATTEMPTS
    assert "SignatureDoesNotMatch" in outbound.last_error


@pytest.mark.parametrize(
    ("to", "body", "purpose", "field"),
    [
        ("138 0013 800", "请评价", "survey", "value"),  # too short a number
        ("13800138000", "  ", "survey", "body"),
        ("13800138000", "评" * (services.MAX_SMS_CHARS + 1), "survey", "body"),
        ("13800138000", "请评价", "reply", "purpose"),  # a reply goes with its message
        ("13800138000", "请评价", "fax", "purpose"),
    ],
)
def test_queue_sms_refuses_a_bad_number_text_or_purpose_and_queues_nothing(
    db: None, to: str, body: str, purpose: str, field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        services.queue_sms(to=to, body=body, purpose=purpose, ticket_id=None)

    assert refused.value.code == ("invalid_phone" if field == "value" else "invalid_field")
    assert refused.value.params.get("field", "value") == field
    assert (OutboundSms.objects.count(), Event.objects.count()) == (0, 0)


def test_queue_sms_stores_the_number_in_e164_and_delivers_it(
    server: ProviderServer, org: Any, settings: Any
) -> None:
    settings.BIHUAN_JOB_RETRY_SECONDS = 0
    _provider("generic", server.url, org)

    queued = services.queue_sms(
        to="138-0013-8000", body=" 请评价本次服务 ", purpose="survey", ticket_id=None
    )
    Runner("test").run_until_idle()

    outbound = OutboundSms.objects.get()
    assert (outbound.pk, outbound.to_number, outbound.body) == (
        queued.pk,
        "+8613800138000",
        "请评价本次服务",
    )
    assert (outbound.purpose, outbound.status) == ("survey", SmsStatus.SENT)
    assert (server.requests[-1]["to"], server.requests[-1]["text"]) == (
        "+8613800138000",
        "请评价本次服务",
    )


def _inbound(client: Client, payload: dict[str, Any], **kwargs: Any) -> Any:
    return post_signed(client, "/sms/hooks/generic/inbound/", payload, secret=HOOK_SECRET, **kwargs)


def _counts() -> tuple[int, ...]:
    return (
        Ticket.objects.count(),
        Message.objects.count(),
        InboundSms.objects.count(),
        WebhookNonce.objects.count(),
        Event.objects.count(),
    )


def test_inbound_sms_open_a_ticket_then_join_it_once_each(
    client: Client, server: ProviderServer, org: Any
) -> None:
    _provider("generic", server.url, org)

    first = _inbound(client, {"id": "m-1", "from": "13800138000", "text": "我的退款到账了吗？"})
    second = _inbound(client, {"id": "m-2", "from": "+8613800138000", "text": "订单号 A1001"})
    # The provider delivers m-2 again later (a retry, signed anew).
    again = _inbound(
        client,
        {"id": "m-2", "from": "+8613800138000", "text": "订单号 A1001"},
        timestamp=int(time.time()) + 1,
    )

    assert [r.status_code for r in (first, second, again)] == [200, 200, 200]
    assert again.json()["status"] == "duplicate"
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.subject) == ("sms", "我的退款到账了吗？")
    assert list(Message.objects.filter(ticket=ticket).values_list("body", flat=True)) == [
        "我的退款到账了吗？",
        "订单号 A1001",
    ]
    assert InboundSms.objects.count() == 2


@pytest.mark.parametrize("how", ["forged", "stale", "replayed", "unknown_provider"])
def test_a_forged_or_replayed_inbound_sms_is_refused_and_changes_nothing(
    client: Client, server: ProviderServer, org: Any, how: str
) -> None:
    _provider("generic", server.url, org)
    payload = {"id": "m-9", "from": "13800138000", "text": "你好"}
    body = json.dumps(payload, ensure_ascii=False).encode()
    stamp = str(int(time.time()))
    headers = {
        "X-Bihuan-Timestamp": stamp,
        "X-Bihuan-Signature": sign_webhook(HOOK_SECRET, stamp, body),
    }
    url = "/sms/hooks/generic/inbound/"
    if how == "replayed":
        assert client.post(url, body, "application/json", headers=headers).status_code == 200
    before = _counts()

    if how == "forged":
        answer = _inbound(client, payload | {"id": "m-10"}, signature="sha256=" + "0" * 64)
    elif how == "stale":
        answer = _inbound(client, payload | {"id": "m-10"}, timestamp=int(stamp) - 600)
    elif how == "unknown_provider":
        answer = post_signed(client, "/sms/hooks/tencent/inbound/", payload, secret=HOOK_SECRET)
    else:
        answer = client.post(url, body, "application/json", headers=headers)

    assert answer.status_code == (409 if how == "replayed" else 401)
    assert _counts() == before


def test_delivery_receipts_are_recorded_once_on_the_sent_sms(
    client: Client, server: ProviderServer, org: Any, settings: Any
) -> None:
    settings.BIHUAN_SMS_REPLIES = True
    _provider("generic", server.url, org)
    ticket = make_ticket(phone="13800138000", channel="sms")
    reply_to_customer(ticket, body="已为您加急处理", actor=org.agent, channel="sms")
    Runner("test").run_until_idle()
    outbound = OutboundSms.objects.get()
    url = "/sms/hooks/generic/receipts/"

    forged = post_signed(
        client,
        url,
        {"message_id": outbound.provider_message_id, "status": "delivered"},
        secret="wrong",
    )
    unknown = post_signed(
        client, url, {"message_id": "gw-404", "status": "delivered"}, secret=HOOK_SECRET
    )
    delivered = post_signed(
        client,
        url,
        {"message_id": outbound.provider_message_id, "status": "delivered"},
        secret=HOOK_SECRET,
    )

    assert (forged.status_code, unknown.status_code, delivered.status_code) == (401, 404, 200)
    outbound.refresh_from_db()
    assert outbound.status == SmsStatus.DELIVERED
    assert outbound.delivered_at is not None
    assert Event.objects.filter(verb="sms.delivered", ticket_id=ticket.pk).count() == 1
    assert WebhookNonce.objects.count() == 1  # only the accepted receipt


def test_an_admin_configures_a_provider_and_sends_a_test_sms(
    client: Client, server: ProviderServer, org: Any
) -> None:
    client.force_login(org.admin)

    saved = client.post(
        "/sms/settings/tencent/",
        {
            "is_active": "on",
            "base_url": server.url,
            "access_key_id": "AKIDtest",
            "access_key_secret": provider_server.TENCENT_SECRET,
            "sign_name": "闭环客服",
            "template_code": "100001",
            "sdk_app_id": "1400000001",
            "region": "ap-guangzhou",
            "webhook_secret": HOOK_SECRET,
        },
    )
    tested = client.post(
        "/sms/settings/tencent/test/", {"to": "13900139000"}, headers={"HX-Request": "true"}
    )
    page = client.get("/sms/settings/tencent/")

    assert (saved.status_code, tested.status_code) == (302, 200)
    assert server.requests[-1]["PhoneNumberSet"] == ["+8613900139000"]
    assert b'id="sms-test-result" data-testid="test-result" data-ok="yes"' in tested.content
    assert "serial-1" in tested.content.decode()
    assert b'data-testid="test-result" data-ok="yes"' in page.content
    provider = SmsProvider.objects.get(kind="tencent")
    assert provider.access_key_secret == provider_server.TENCENT_SECRET
    with connection.cursor() as cursor:
        cursor.execute("SELECT access_key_secret FROM bihuan_phone_smsprovider")
        stored = cursor.fetchone()[0]
    assert provider_server.TENCENT_SECRET not in stored  # only the Fernet token is stored


def test_a_refused_test_sms_shows_why_on_the_page_after_a_plain_post(
    client: Client, server: ProviderServer, org: Any
) -> None:
    _provider("aliyun", server.url, org)
    server.refuse_next = ("isv.SMS_TEMPLATE_ILLEGAL", "模板不合法")
    client.force_login(org.admin)

    tested = client.post("/sms/settings/aliyun/test/", {"to": "13900139000"}, follow=True)

    assert tested.redirect_chain == [("/sms/settings/aliyun/", 302)]
    assert b'data-testid="test-result" data-ok="no"' in tested.content
    assert "isv.SMS_TEMPLATE_ILLEGAL: 模板不合法" in tested.content.decode()
    assert SmsProvider.objects.get(kind="aliyun").last_test_ok is False


@pytest.mark.parametrize(
    ("kind", "trouble", "ok", "reason", "shown"),
    [
        ("aliyun", None, True, "", "biz-1"),
        ("aliyun", "wrong_secret", False, "credentials", "SignatureDoesNotMatch: bad"),
        ("aliyun", ("isv.BUSINESS_LIMIT_CONTROL", "触发小时级流控"), False, "rate_limited", ""),
        ("aliyun", ("isv.SMS_SIGNATURE_ILLEGAL", "签名不合法"), False, "sign_or_template", ""),
        ("tencent", "wrong_secret", False, "credentials", "AuthFailure"),
        (
            "tencent",
            ("FailedOperation.TemplateIncorrectOrUnapproved", "template unapproved"),
            False,
            "sign_or_template",
            "",
        ),
        (
            "tencent",
            ("LimitExceeded.PhoneNumberThirtySecondLimit", "30s"),
            False,
            "rate_limited",
            "",
        ),
        ("generic", None, True, "", "gw-1"),
        ("generic", ("429", "too many requests"), False, "rate_limited", "HTTP 429"),
        ("generic", "unreachable", False, "unreachable", "ConnectError"),
        ("generic", "slow", False, "timeout", "ReadTimeout"),
    ],
)
def test_a_test_sms_reports_the_providers_answer_in_clear_words(
    kind: str,
    trouble: Any,
    ok: bool,
    reason: str,
    shown: str,
    server: ProviderServer,
    org: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    provider = _provider(kind, server.url, org)
    if trouble == "wrong_secret":
        SmsProvider.objects.filter(pk=provider.pk).update(access_key_secret="wrong-secret")
    elif trouble == "unreachable":
        closed = server.url.rsplit(":", 1)[0] + ":9"  # discard port: nothing listens
        SmsProvider.objects.filter(pk=provider.pk).update(base_url=closed + "/send")
    elif trouble == "slow":
        monkeypatch.setattr(providers, "TIMEOUT_SECONDS", 0.2)
        server.delay_seconds = 0.5
    elif isinstance(trouble, tuple):
        server.refuse_next = trouble
    tickets_before = Ticket.objects.count()

    result = services.send_test_sms(kind, to="139 0013 9000", actor=org.admin)

    assert (result.is_ok, result.reason) == (ok, reason)
    if not ok:
        assert result.message.startswith(str(providers.REASONS[reason]))
    assert shown in result.message
    if isinstance(trouble, tuple):
        assert f"{trouble[0]}" in result.message
    provider.refresh_from_db()
    assert (provider.last_test_ok, provider.last_test_result) == (ok, result.message)
    event = Event.objects.get(verb="sms.test_sent")
    assert (event.actor_id, event.data["ok"], event.data["reason"]) == (org.admin.pk, ok, reason)
    assert event.data["to"] == "139****9000"
    assert Ticket.objects.count() == tickets_before
    assert not OutboundSms.objects.exists()


def test_a_test_sms_to_a_malformed_number_is_refused_and_records_nothing(
    server: ProviderServer, org: Any
) -> None:
    _provider("generic", server.url, org)

    with pytest.raises(ValidationFailed):
        services.send_test_sms("generic", to="not a phone", actor=org.admin)

    assert server.requests == []
    assert not Event.objects.filter(verb="sms.test_sent").exists()
    assert SmsProvider.objects.get(kind="generic").last_test_at is None


def test_an_agent_cannot_send_a_test_sms(server: ProviderServer, org: Any) -> None:
    _provider("generic", server.url, org)

    with pytest.raises(PermissionDenied):
        services.send_test_sms("generic", to="13900139000", actor=org.agent)

    assert server.requests == []


def test_with_sms_replies_off_a_reply_by_sms_is_only_recorded(
    server: ProviderServer, org: Any
) -> None:
    _provider("generic", server.url, org)
    ticket = make_ticket(phone="13800138000", channel="sms")

    reply_to_customer(ticket, body="您好", actor=org.agent, channel="sms")
    Runner("test").run_until_idle()

    assert not OutboundSms.objects.exists()
    assert server.requests == []


def test_without_an_active_provider_a_reply_by_sms_fails_at_once(org: Any, settings: Any) -> None:
    settings.BIHUAN_SMS_REPLIES = True
    ticket = make_ticket(phone="13800138000", channel="sms")

    reply_to_customer(ticket, body="您好", actor=org.agent, channel="sms")
    Runner("test").run_until_idle()

    outbound = OutboundSms.objects.get()
    assert (outbound.status, outbound.attempts) == (SmsStatus.FAILED, 1)
    assert "no SMS provider is turned on" in outbound.last_error
    assert Event.objects.filter(verb="sms.delivery_failed", ticket_id=ticket.pk).count() == 1


def test_an_agent_cannot_open_or_change_the_sms_settings(client: Client, org: Any) -> None:
    client.force_login(org.agent)

    page = client.get("/sms/settings/aliyun/")
    change = client.post("/sms/settings/aliyun/", {"base_url": "http://127.0.0.1:9/"})
    settings_page = client.get("/phone/settings/")

    assert (page.status_code, change.status_code, settings_page.status_code) == (404, 404, 404)
    assert not SmsProvider.objects.exists()


def test_a_portal_code_goes_by_sms_to_a_customer_without_email(
    server: ProviderServer, org: Any, django_capture_on_commit_callbacks: Any
) -> None:
    _provider("generic", server.url, org)
    ticket = make_ticket(phone="13800138000", name="王芳", channel="phone")

    with django_capture_on_commit_callbacks(execute=True):
        asked = portal_services.request_lookup_code(
            number=str(ticket.pk), contact="138 0013 8000", client_address="127.0.0.1"
        )

    sent = server.requests[-1]
    assert sent["to"] == "+8613800138000"
    code = re.search(r"\d{6}", sent["text"])
    assert code is not None
    session = portal_services.verify_code(challenge=asked.challenge, code=code.group())
    assert session.viewer.ticket_id == ticket.pk


def test_the_portal_page_says_nothing_against_text_messages_when_a_provider_is_on(
    server: ProviderServer, org: Any, django_capture_on_commit_callbacks: Any
) -> None:
    _provider("generic", server.url, org)
    ticket = make_ticket(phone="13700001111", name="刘强", channel="phone")
    client = Client(REMOTE_ADDR="10.0.0.9")

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/portal/", {"number": ticket.pk, "contact": "137 0000 1111"})
    page = client.get("/portal/code/")

    assert page.status_code == 200
    assert b'data-testid="no-sms"' not in page.content
    assert server.requests[-1]["to"] == "+8613700001111"
