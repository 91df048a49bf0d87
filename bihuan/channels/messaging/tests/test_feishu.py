"""Feishu/Lark through its documented protocol: the encrypted URL verification challenge,
signed and encrypted ``im.message.receive_v1`` events (text, image, file), resource download
and the IM send API with ``tenant_access_token`` on a loopback server; duplicates,
forgeries and replays change nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from bihuan.channels.messaging.choices import DeliveryState, Direction
from bihuan.channels.messaging.crypto import feishu_encrypt, feishu_signature
from bihuan.channels.messaging.models import PlatformAccount, PlatformMessage
from bihuan.channels.messaging.tests.conftest import (
    FEISHU_KEY,
    FEISHU_TOKEN,
    callback_path,
    make_account,
    nonce,
    now,
)
from bihuan.channels.messaging.tests.platform_server import PlatformServer
from bihuan.channels.models import MessageFile
from bihuan.channels.services import IncomingFile, attach_reply_files
from bihuan.core.models import DueItem, Event
from bihuan.core.runner import Runner
from bihuan.customers.models import CustomerIdentity
from bihuan.tickets import services as ticket_services
from bihuan.tickets.models import Message, Ticket
from conftest import Org

pytestmark = [pytest.mark.django_db, pytest.mark.urls("bihuan.channels.messaging.tests.urls")]

OPEN_ID = "ou_7d8a6e6df7621556ce0d21922b676706ccs"


def _event(message_id: str, kind: str, content: dict[str, Any], **header: str) -> dict[str, Any]:
    return {
        "schema": "2.0",
        "header": {
            "event_id": f"evt-{message_id}",
            "event_type": "im.message.receive_v1",
            "create_time": str(int(now()) * 1000),
            "token": FEISHU_TOKEN,
            "app_id": "cli_9dbb2dd6f5e0d104",
            "tenant_key": "736588c9260f175d",
            **header,
        },
        "event": {
            "sender": {
                "sender_id": {"open_id": OPEN_ID, "union_id": "on_8ed6aa67826108097d9ee143816345"},
                "sender_type": "user",
                "tenant_key": "736588c9260f175d",
            },
            "message": {
                "message_id": message_id,
                "create_time": "1609073151345",
                "chat_id": "oc_5ad11d72b830411d72b836c20",
                "chat_type": "p2p",
                "message_type": kind,
                "content": json.dumps(content, ensure_ascii=False),
            },
        },
    }


def _post(
    client: Client,
    account: PlatformAccount,
    event: dict[str, Any],
    *,
    stamp: str | None = None,
    once: str | None = None,
    tamper: bool = False,
    signed: bool = True,
) -> Any:
    body = json.dumps({"encrypt": feishu_encrypt(FEISHU_KEY, json.dumps(event).encode())}).encode()
    stamp = stamp or now()
    once = once or nonce()
    headers: dict[str, str] = {}
    if signed:
        signature = feishu_signature(stamp, once, FEISHU_KEY, body)
        headers = {
            "X-Lark-Request-Timestamp": stamp,
            "X-Lark-Request-Nonce": once,
            "X-Lark-Signature": "0" * 64 if tamper else signature,
        }
    return client.post(
        callback_path(account), data=body, content_type="application/json", headers=headers
    )


def _state() -> tuple[int, ...]:
    return (
        Ticket.objects.count(),
        Message.objects.count(),
        PlatformMessage.objects.count(),
        MessageFile.objects.count(),
        Event.objects.count(),
    )


def test_url_verification_returns_the_challenge_for_the_apps_token(
    org: Org, platform: PlatformServer, client: Client
) -> None:
    account = make_account(org, platform, "feishu")
    challenge = {"challenge": "ajls384kdj", "token": FEISHU_TOKEN, "type": "url_verification"}

    good = _post(client, account, challenge, signed=False)
    bad = _post(client, account, {**challenge, "token": "wrong"}, signed=False)

    assert good.status_code == 200
    assert good.json() == {"challenge": "ajls384kdj"}
    assert bad.status_code == 403


def test_text_image_and_file_reach_the_open_ids_ticket_and_the_reply_goes_out(
    org: Org,
    platform: PlatformServer,
    client: Client,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    account = make_account(org, platform, "feishu")
    platform.media = {
        "img_v2_041b28e3": (b"\x89PNG feishu", "image/png", "image.png"),
        "file_v2_9a7c": (b"PK\x03\x04 xlsx", "application/octet-stream", "x"),
    }

    responses = [
        _post(client, account, _event("om_1", "text", {"text": "发票抬头开错了，能重开吗"})),
        _post(client, account, _event("om_2", "image", {"image_key": "img_v2_041b28e3"})),
        _post(
            client,
            account,
            _event("om_3", "file", {"file_key": "file_v2_9a7c", "file_name": "报销单.xlsx"}),
        ),
    ]

    assert [r.status_code for r in responses] == [200, 200, 200]
    [ticket] = Ticket.objects.all()
    assert list(ticket.messages.order_by("id").values_list("body", flat=True)) == [
        "发票抬头开错了，能重开吗",
        "（图片）",  # stored in the installation's language (zh-hans)
        "（文件：报销单.xlsx）",
    ]
    identity = CustomerIdentity.objects.get(customer=ticket.customer)
    assert (identity.source, identity.value) == ("feishu:cli_9dbb2dd6f5e0d104", OPEN_ID)
    assert sorted(MessageFile.objects.values_list("filename", flat=True)) == [
        "image.png",
        "报销单.xlsx",
    ]
    [image_call] = platform.calls("/open-apis/im/v1/messages/om_2/resources/img_v2_041b28e3")
    assert image_call.query == {"type": "image"}
    # The app may not read this user's profile (41050): an answer, not a call to retry.
    assert len(platform.calls(f"/open-apis/contact/v3/users/{OPEN_ID}")) == 1
    assert not DueItem.objects.filter(kind="messaging.fetch_profiles").exists()

    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.reply_to_customer(
            ticket, body="可以，请提供新的抬头。", actor=org.agent, channel="feishu"
        )
    Runner("test").run_until_idle()

    [sent] = platform.calls("/open-apis/im/v1/messages")
    row = PlatformMessage.objects.get(direction=Direction.OUTBOUND)
    assert sent.query == {"receive_id_type": "open_id"}
    assert sent.body == {
        "receive_id": OPEN_ID,
        "msg_type": "text",
        "content": '{"text": "可以，请提供新的抬头。"}',
        "uuid": f"bihuan-{row.pk}",
    }
    assert sent.headers["authorization"] == "Bearer t-1"
    assert row.state == DeliveryState.SENT
    assert row.platform_message_id.startswith("om_sent_")
    assert len(platform.calls("/open-apis/auth/v3/tenant_access_token/internal")) == 1


def test_a_repeated_event_changes_nothing_and_rate_limits_back_off(
    org: Org,
    platform: PlatformServer,
    client: Client,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    account = make_account(org, platform, "feishu")
    event = _event("om_9", "text", {"text": "退货地址是哪里"})
    _post(client, account, event)
    before = _state()

    again = _post(client, account, event)

    assert again.status_code == 200
    assert _state() == before
    platform.send_errors = [(429, {"code": 99991400, "msg": "request trigger frequency limit"})]
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.reply_to_customer(
            Ticket.objects.get(), body="上海市…", actor=org.agent, channel="feishu"
        )
    Runner("test").run_until_idle()
    row = PlatformMessage.objects.get(direction=Direction.OUTBOUND)
    assert (row.state, row.last_error.split(":")[0]) == (DeliveryState.QUEUED, "429")
    Runner("test").run_until_idle(now=timezone.now() + timedelta(minutes=5))
    row.refresh_from_db()
    assert row.state == DeliveryState.SENT


@pytest.mark.parametrize("case", ["forged", "unsigned", "stale", "replayed", "token"])
def test_forged_unsigned_stale_or_replayed_events_are_refused_and_change_nothing(
    org: Org, platform: PlatformServer, client: Client, case: str
) -> None:
    account = make_account(org, platform, "feishu")
    event = _event("om_5", "text", {"text": "hi"})
    once = nonce()
    if case == "replayed":
        _post(client, account, _event("om_6", "text", {"text": "a"}), once=once)
    before = _state()

    if case == "forged":
        response = _post(client, account, event, tamper=True)
    elif case == "unsigned":
        response = _post(client, account, event, signed=False)
    elif case == "stale":
        response = _post(client, account, event, stamp=str(int(now()) - 301))
    elif case == "replayed":
        response = _post(client, account, event, once=once)
    else:
        response = _post(client, account, _event("om_5", "text", {"text": "x"}, token="other"))

    expected = {"forged": 403, "unsigned": 403, "stale": 403, "replayed": 409, "token": 403}
    assert response.status_code == expected[case]
    assert _state() == before


def test_the_sender_is_named_by_the_contact_api_and_reply_files_go_as_image_and_file(
    org: Org,
    platform: PlatformServer,
    client: Client,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    account = make_account(org, platform, "feishu")
    platform.profiles = {
        OPEN_ID: {"name": "陈静", "avatar": "https://s1.feishu/a.png", "unionid": "on_1"}
    }
    _post(client, account, _event("om_p1", "text", {"text": "合同模板发我一下"}))
    ticket = Ticket.objects.get()
    attach_reply_files(
        ticket,
        files=[
            IncomingFile("示意图.webp", "image/webp", b"RIFF webp"),
            IncomingFile("合同模板.docx", "application/vnd.openxmlformats", b"PK docx"),
        ],
        actor=org.agent,
    )

    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.reply_to_customer(
            ticket, body="请查收。", actor=org.agent, channel="feishu"
        )
    Runner("test").run_until_idle()

    [user] = platform.calls(f"/open-apis/contact/v3/users/{OPEN_ID}")
    assert user.query == {"user_id_type": "open_id"}
    assert ticket.customer.name == "陈静"
    [image] = platform.calls("/open-apis/im/v1/images")
    assert (image.body["image_type"], image.body["image"].data) == ("message", b"RIFF webp")
    [upload] = platform.calls("/open-apis/im/v1/files")
    assert (upload.body["file_type"], upload.body["file_name"]) == ("doc", "合同模板.docx")
    assert upload.body["file"].data == b"PK docx"
    sends = [
        (s.body["msg_type"], s.body["content"]) for s in platform.calls("/open-apis/im/v1/messages")
    ]
    assert sends == [
        ("text", '{"text": "请查收。"}'),
        ("image", '{"image_key": "img_v3_up-1"}'),
        ("file", '{"file_key": "file_v3_up-2"}'),
    ]
    assert PlatformMessage.objects.get(direction=Direction.OUTBOUND).state == DeliveryState.SENT
