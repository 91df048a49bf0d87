"""DingTalk through its documented protocol: the encrypted event callback (check_url
answered with the encrypted success map), signed robot message callbacks (text, picture,
file), the robot file download and ``oToMessages/batchSend`` with the app's access token on a
loopback server; duplicates, forgeries and replays change nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from bihuan.channels.messaging.choices import DeliveryState, Direction
from bihuan.channels.messaging.crypto import WXBizMsgCrypt, dingtalk_robot_sign
from bihuan.channels.messaging.models import PlatformAccount, PlatformMessage
from bihuan.channels.messaging.tests.conftest import (
    AES_KEY,
    TOKEN,
    callback_path,
    make_account,
    nonce,
    now,
)
from bihuan.channels.messaging.tests.platform_server import SECRET, PlatformServer
from bihuan.channels.models import MessageFile
from bihuan.channels.services import IncomingFile, attach_reply_files
from bihuan.core.models import Event
from bihuan.core.runner import Runner
from bihuan.customers.models import CustomerIdentity
from bihuan.tickets import services as ticket_services
from bihuan.tickets.models import Message, Ticket
from conftest import Org

pytestmark = [pytest.mark.django_db, pytest.mark.urls("bihuan.channels.messaging.tests.urls")]

STAFF = "manager4220"


def _robot(msg_id: str, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "conversationId": "cidp3Bj6Jq1kZKH3RCXgSyt6A==",
        "chatbotCorpId": "dinge8a565xxxx",
        "chatbotUserId": "$:LWCP_v1:$Cxxxxx",
        "msgId": msg_id,
        "senderNick": "李娜",
        "isAdmin": False,
        "senderStaffId": STAFF,
        "sessionWebhookExpiredTime": 1613635652738,
        "createAt": 1613630252678,
        "senderCorpId": "dinge8a565xxxx",
        "conversationType": "1",
        "senderId": "$:LWCP_v1:$Ff09GIxxxxx",
        "robotCode": "dingxsxqdc1xbo8bxkxk",
        "msgtype": kind,
    }
    if kind == "text":
        body["text"] = payload
    else:
        body["content"] = payload
    return body


def _post_robot(
    client: Client,
    account: PlatformAccount,
    body: dict[str, Any],
    *,
    stamp: str | None = None,
    tamper: bool = False,
) -> Any:
    stamp = stamp or str(int(now()) * 1000)
    sign = dingtalk_robot_sign(stamp, SECRET)
    return client.post(
        callback_path(account),
        data=json.dumps(body, ensure_ascii=False).encode(),
        content_type="application/json",
        headers={"timestamp": stamp, "sign": "x" + sign[1:] if tamper else sign},
    )


def _state() -> tuple[int, ...]:
    return (
        Ticket.objects.count(),
        Message.objects.count(),
        PlatformMessage.objects.count(),
        MessageFile.objects.count(),
        Event.objects.count(),
    )


def test_the_check_url_event_is_answered_with_the_encrypted_success_map(
    org: Org, platform: PlatformServer, client: Client
) -> None:
    account = make_account(org, platform, "dingtalk")
    crypt = WXBizMsgCrypt(TOKEN, AES_KEY, account.app_id)
    encrypt = crypt.encrypt(b'{"EventType":"check_url"}')
    stamp, once = str(int(now()) * 1000), nonce()

    response = client.post(
        f"{callback_path(account)}?msg_signature={crypt.signature(stamp, once, encrypt)}"
        f"&timestamp={stamp}&nonce={once}",
        data=json.dumps({"encrypt": encrypt}),
        content_type="application/json",
    )
    forged = client.post(
        f"{callback_path(account)}?msg_signature={'0' * 40}&timestamp={stamp}&nonce={nonce()}",
        data=json.dumps({"encrypt": encrypt}),
        content_type="application/json",
    )

    assert response.status_code == 200
    answer = response.json()
    assert set(answer) == {"msg_signature", "timeStamp", "nonce", "encrypt"}
    assert (
        crypt.verify_and_decrypt(
            answer["msg_signature"], answer["timeStamp"], answer["nonce"], answer["encrypt"]
        )
        == b"success"
    )
    assert forged.status_code == 403


def test_text_picture_and_file_reach_the_staff_members_ticket_and_the_reply_goes_out(
    org: Org,
    platform: PlatformServer,
    client: Client,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    account = make_account(org, platform, "dingtalk")
    platform.media = {
        "dc-pic": (b"\x89PNG dingtalk", "image/png", "image.png"),
        "dc-file": (b"%PDF contract", "application/pdf", "x"),
    }

    responses = [
        _post_robot(client, account, _robot("msgA", "text", {"content": " 打印机卡纸了 "})),
        _post_robot(client, account, _robot("msgB", "picture", {"downloadCode": "dc-pic"})),
        _post_robot(
            client,
            account,
            _robot("msgC", "file", {"downloadCode": "dc-file", "fileName": "维修合同.pdf"}),
        ),
    ]

    assert [r.status_code for r in responses] == [200, 200, 200]
    [ticket] = Ticket.objects.all()
    assert ticket.customer.name == "李娜"
    assert list(ticket.messages.order_by("id").values_list("body", flat=True)) == [
        "打印机卡纸了",
        "（图片）",  # stored in the installation's language (zh-hans)
        "（文件：维修合同.pdf）",
    ]
    identity = CustomerIdentity.objects.get(customer=ticket.customer)
    assert (identity.source, identity.value) == ("dingtalk:dingxsxqdc1xbo8bxkxk", STAFF)
    assert sorted(MessageFile.objects.values_list("filename", flat=True)) == [
        "image.png",
        "维修合同.pdf",
    ]
    downloads = platform.calls("/v1.0/robot/messageFiles/download")
    assert downloads[0].body == {"downloadCode": "dc-pic", "robotCode": "dingxsxqdc1xbo8bxkxk"}

    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.reply_to_customer(
            ticket, body="工程师下午到。", actor=org.agent, channel="dingtalk"
        )
    Runner("test").run_until_idle()

    [sent] = platform.calls("/v1.0/robot/oToMessages/batchSend")
    assert sent.body == {
        "robotCode": "dingxsxqdc1xbo8bxkxk",
        "userIds": [STAFF],
        "msgKey": "sampleText",
        "msgParam": '{"content": "工程师下午到。"}',
    }
    assert sent.headers["x-acs-dingtalk-access-token"] == "ding-1"
    assert PlatformMessage.objects.get(direction=Direction.OUTBOUND).state == DeliveryState.SENT
    assert len(platform.calls("/v1.0/oauth2/accessToken")) == 1


def test_a_repeated_message_changes_nothing_and_throttling_backs_off(
    org: Org,
    platform: PlatformServer,
    client: Client,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    account = make_account(org, platform, "dingtalk")
    body = _robot("msgD", "text", {"content": "在吗"})
    _post_robot(client, account, body)
    before = _state()

    again = _post_robot(client, account, body, stamp=str(int(now()) * 1000 + 1))

    assert again.status_code == 200
    assert _state() == before
    platform.send_errors = [
        (403, {"code": "Forbidden.AccessDenied.QpsLimitForApi", "message": "qps limit"})
    ]
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.reply_to_customer(
            Ticket.objects.get(), body="在的", actor=org.agent, channel="dingtalk"
        )
    Runner("test").run_until_idle()
    row = PlatformMessage.objects.get(direction=Direction.OUTBOUND)
    assert row.state == DeliveryState.QUEUED
    assert row.last_error == "Forbidden.AccessDenied.QpsLimitForApi: qps limit"
    Runner("test").run_until_idle(now=timezone.now() + timedelta(minutes=5))
    row.refresh_from_db()
    assert row.state == DeliveryState.SENT


@pytest.mark.parametrize("case", ["forged", "stale", "replayed", "unsigned"])
def test_forged_stale_replayed_or_unsigned_robot_callbacks_are_refused_and_change_nothing(
    org: Org, platform: PlatformServer, client: Client, case: str
) -> None:
    account = make_account(org, platform, "dingtalk")
    body = _robot("msgE", "text", {"content": "hi"})
    stamp = str(int(now()) * 1000)
    if case == "replayed":
        _post_robot(client, account, body, stamp=stamp)
    before = _state()

    if case == "forged":
        response = _post_robot(client, account, body, tamper=True)
    elif case == "stale":
        response = _post_robot(client, account, body, stamp=str((int(now()) - 301) * 1000))
    elif case == "replayed":
        response = _post_robot(client, account, body, stamp=stamp)
    else:
        response = client.post(callback_path(account), data=body, content_type="application/json")

    assert (
        response.status_code
        == {"forged": 403, "stale": 403, "replayed": 409, "unsigned": 403}[case]
    )
    assert _state() == before


def test_the_callback_names_the_sender_and_reply_files_go_as_image_file_and_link(
    org: Org,
    platform: PlatformServer,
    client: Client,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    account = make_account(org, platform, "dingtalk")
    _post_robot(client, account, _robot("msgF", "text", {"content": "报销流程"}))
    ticket = Ticket.objects.get()
    attach_reply_files(
        ticket,
        files=[
            IncomingFile("流程图.png", "image/png", b"\x89PNG flow"),
            IncomingFile("报销单.xlsx", "application/vnd.ms-excel", b"PK xlsx"),
            IncomingFile("说明.txt", "text/plain", "先填单，再审批。".encode()),
        ],
        actor=org.agent,
    )

    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.reply_to_customer(
            ticket, body="见附件", actor=org.agent, channel="dingtalk"
        )
    Runner("test").run_until_idle()

    assert ticket.customer.name == "李娜"  # senderNick: no profile call
    uploads = platform.calls("/media/upload")
    assert [(u.query["access_token"], u.body["type"]) for u in uploads] == [
        ("ding-1", "image"),
        ("ding-1", "file"),
    ]
    sends = [
        (s.body["msgKey"], json.loads(s.body["msgParam"]))
        for s in platform.calls("/v1.0/robot/oToMessages/batchSend")
    ]
    assert sends[:3] == [
        ("sampleText", {"content": "见附件"}),
        ("sampleImageMsg", {"photoURL": "MEDIA_image-1"}),
        ("sampleFile", {"mediaId": "MEDIA_file-2", "fileName": "报销单.xlsx", "fileType": "xlsx"}),
    ]
    template, link = sends[3]
    assert template == "sampleText"
    assert link["content"].startswith("说明.txt\nhttp://127.0.0.1:8000/messaging/files/")
    assert PlatformMessage.objects.get(direction=Direction.OUTBOUND).state == DeliveryState.SENT
