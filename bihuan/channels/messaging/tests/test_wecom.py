"""WeCom customer service through its documented protocol: the callback (URL verification,
encrypted kf event), ``kf/sync_msg`` from the cursor, media download and ``kf/send_msg``
against a loopback server; duplicates, forgeries and replays change nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from bihuan.channels.messaging.choices import DeliveryState, Direction
from bihuan.channels.messaging.crypto import WXBizMsgCrypt
from bihuan.channels.messaging.models import PlatformAccount, PlatformMessage
from bihuan.channels.messaging.tests.conftest import (
    AES_KEY,
    TOKEN,
    callback_path,
    make_account,
    nonce,
    now,
)
from bihuan.channels.messaging.tests.platform_server import PlatformServer
from bihuan.channels.models import MessageFile
from bihuan.core.models import DueItem, Event, WorkState
from bihuan.core.runner import Runner
from bihuan.customers.models import CustomerIdentity
from bihuan.tickets import services as ticket_services
from bihuan.tickets.models import Message, Ticket
from conftest import Org

pytestmark = [pytest.mark.django_db, pytest.mark.urls("bihuan.channels.messaging.tests.urls")]

CUSTOMER = "wmAJ2GCAAAme1XQRC-NI-q0_ZM9ukoAw"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


SYNC_TOKEN = "ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMz"


def _event(account: PlatformAccount, *, token: str = SYNC_TOKEN) -> str:
    return (
        "<xml><ToUserName><![CDATA[ww1436e0e65a779aee]]></ToUserName>"
        f"<CreateTime>{now()}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        "<Event><![CDATA[kf_msg_or_event]]></Event>"
        f"<Token><![CDATA[{token}]]></Token>"
        f"<OpenKfId><![CDATA[{account.open_kfid}]]></OpenKfId></xml>"
    )


def _post(
    client: Client,
    account: PlatformAccount,
    plain: str,
    *,
    stamp: str | None = None,
    once: str | None = None,
    tamper: bool = False,
) -> Any:
    crypt = WXBizMsgCrypt(TOKEN, AES_KEY, account.app_id)
    encrypt = crypt.encrypt(plain.encode())
    stamp = stamp or now()
    once = once or nonce()
    signature = crypt.signature(stamp, once, encrypt)
    if tamper:
        signature = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    body = (
        f"<xml><ToUserName><![CDATA[{account.app_id}]]></ToUserName>"
        f"<Encrypt><![CDATA[{encrypt}]]></Encrypt><AgentID><![CDATA[]]></AgentID></xml>"
    )
    return client.post(
        f"{callback_path(account)}?msg_signature={signature}&timestamp={stamp}&nonce={once}",
        data=body,
        content_type="text/xml",
    )


def _page(*items: dict[str, Any], cursor: str = "4gw7MepFLfgF2VC5npN") -> dict[str, Any]:
    return {"next_cursor": cursor, "has_more": 0, "msg_list": list(items)}


def _msg(msgid: str, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "msgid": msgid,
        "open_kfid": "wkAJ2GCAAASSm4_FhToWMFea0xAFfd3Q",
        "external_userid": CUSTOMER,
        "send_time": 1615478585,
        "origin": 3,
        "msgtype": kind,
        kind: payload,
    }


def _state() -> tuple[int, ...]:
    return (
        Ticket.objects.count(),
        Message.objects.count(),
        PlatformMessage.objects.count(),
        MessageFile.objects.count(),
        Event.objects.count(),
        DueItem.objects.filter(kind="messaging.sync_wecom").count(),
    )


def test_url_verification_answers_the_decrypted_echostr(
    org: Org, platform: PlatformServer, client: Client
) -> None:
    account = make_account(org, platform, "wecom")
    crypt = WXBizMsgCrypt(TOKEN, AES_KEY, account.app_id)
    echostr = crypt.encrypt(b"1288432023552776189")
    stamp, once = now(), nonce()

    response = client.get(
        callback_path(account),
        {
            "msg_signature": crypt.signature(stamp, once, echostr),
            "timestamp": stamp,
            "nonce": once,
            "echostr": echostr,
        },
    )

    assert response.status_code == 200
    assert response.content == b"1288432023552776189"


def test_text_image_and_file_become_one_customers_ticket_and_the_reply_goes_out(
    org: Org,
    platform: PlatformServer,
    client: Client,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    account = make_account(org, platform, "wecom")
    platform.media = {
        "MEDIA_IMG": (PNG, "image/png", "屏幕截图.png"),
        "MEDIA_PDF": (b"%PDF-1.4 invoice", "application/pdf", "发票.pdf"),
    }
    platform.sync_pages = [
        _page(
            _msg("from_msgid_1", "text", {"content": "你好，我的订单 20231101 还没发货"}),
            _msg("from_msgid_2", "image", {"media_id": "MEDIA_IMG"}),
            _msg("from_msgid_3", "file", {"media_id": "MEDIA_PDF"}),
            {**_msg("from_msgid_4", "text", {"content": "客服已接入"}), "origin": 4},
        )
    ]

    response = _post(client, account, _event(account))
    Runner("test").run_until_idle()

    assert response.status_code == 200
    assert response.content == b"success"
    [sync] = platform.calls("/cgi-bin/kf/sync_msg")
    assert sync.body == {
        "cursor": "",
        "token": "ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMz",
        "limit": 1000,
        "open_kfid": "wkAJ2GCAAASSm4_FhToWMFea0xAFfd3Q",
    }
    [ticket] = Ticket.objects.all()
    assert ticket.channel == "wecom"
    assert ticket.subject == "你好，我的订单 20231101 还没发货"
    assert ticket.team == org.presales
    assert list(ticket.messages.order_by("id").values_list("body", flat=True)) == [
        "你好，我的订单 20231101 还没发货",
        "（图片）",  # stored in the installation's language (zh-hans)
        "（文件：发票.pdf）",
    ]
    identity = CustomerIdentity.objects.get(customer=ticket.customer)
    assert (identity.kind, identity.source, identity.value) == (
        "external",
        "wecom:ww1436e0e65a779aee",
        CUSTOMER,
    )
    files = {f.filename: f for f in MessageFile.objects.filter(ticket=ticket)}
    assert set(files) == {"屏幕截图.png", "发票.pdf"}
    assert files["发票.pdf"].file.read() == b"%PDF-1.4 invoice"
    assert files["屏幕截图.png"].content_type == "image/png"
    account.refresh_from_db()
    assert account.sync_cursor == "4gw7MepFLfgF2VC5npN"

    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.reply_to_customer(
            ticket, body="您好，已为您催促仓库，今天发出。", actor=org.agent, channel="wecom"
        )
    Runner("test").run_until_idle()

    [sent] = platform.calls("/cgi-bin/kf/send_msg")
    row = PlatformMessage.objects.get(direction=Direction.OUTBOUND)
    assert sent.body == {
        "touser": CUSTOMER,
        "open_kfid": "wkAJ2GCAAASSm4_FhToWMFea0xAFfd3Q",
        "msgid": f"bihuan-{row.pk}",
        "msgtype": "text",
        "text": {"content": "您好，已为您催促仓库，今天发出。"},
    }
    assert row.state == DeliveryState.SENT
    # One token served the sync, two media downloads and the send: cached, not re-fetched.
    assert len(platform.calls("/cgi-bin/gettoken")) == 1
    assert platform.calls("/cgi-bin/gettoken")[0].query == {
        "corpid": "ww1436e0e65a779aee",
        "corpsecret": "s3cret-平台",
    }


def test_a_repeated_sync_of_the_same_messages_changes_nothing(
    org: Org, platform: PlatformServer, client: Client
) -> None:
    account = make_account(org, platform, "wecom")
    page = _page(_msg("from_msgid_9", "text", {"content": "在吗"}))
    platform.sync_pages = [page, page]
    _post(client, account, _event(account))
    Runner("test").run_until_idle()
    before = Message.objects.count(), PlatformMessage.objects.count()

    response = _post(client, account, _event(account))
    Runner("test").run_until_idle()

    assert response.status_code == 200
    assert len(platform.calls("/cgi-bin/kf/sync_msg")) == 2
    assert (Message.objects.count(), PlatformMessage.objects.count()) == before == (1, 1)


def test_a_rate_limited_send_backs_off_and_is_retried_as_due_work(
    org: Org,
    platform: PlatformServer,
    client: Client,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    account = make_account(org, platform, "wecom")
    platform.sync_pages = [_page(_msg("from_msgid_7", "text", {"content": "退款到账了吗"}))]
    _post(client, account, _event(account))
    Runner("test").run_until_idle()
    ticket = Ticket.objects.get()
    platform.send_errors = [(200, {"errcode": 45009, "errmsg": "api freq out of limit"})]

    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.reply_to_customer(ticket, body="已退款。", actor=org.agent, channel="wecom")
    Runner("test").run_until_idle()

    row = PlatformMessage.objects.get(direction=Direction.OUTBOUND)
    item = DueItem.objects.get(kind="messaging.deliver_reply")
    assert row.state == DeliveryState.QUEUED
    assert row.last_error == "45009: api freq out of limit"
    assert item.state == WorkState.PENDING
    assert item.available_at > timezone.now() + timedelta(seconds=5)

    Runner("test").run_until_idle(now=timezone.now() + timedelta(minutes=5))

    row.refresh_from_db()
    assert row.state == DeliveryState.SENT
    assert len(platform.calls("/cgi-bin/kf/send_msg")) == 2


@pytest.mark.parametrize("case", ["forged", "stale", "replayed", "xxe", "dtd_inside"])
def test_forged_stale_replayed_or_entity_callbacks_are_refused_and_change_nothing(
    org: Org, platform: PlatformServer, client: Client, case: str
) -> None:
    account = make_account(org, platform, "wecom")
    platform.sync_pages = [_page(_msg("from_msgid_5", "text", {"content": "hi"}))] * 2
    once = nonce()
    if case == "replayed":
        assert _post(client, account, _event(account), once=once).status_code == 200
    before = _state()

    if case == "forged":
        response = _post(client, account, _event(account), tamper=True)
    elif case == "stale":
        response = _post(client, account, _event(account), stamp=str(int(now()) - 301))
    elif case == "replayed":
        response = _post(client, account, _event(account), once=once)
    elif case == "xxe":
        response = client.post(
            f"{callback_path(account)}?msg_signature=x&timestamp={now()}&nonce={nonce()}",
            data='<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            "<xml><Encrypt>&e;</Encrypt></xml>",
            content_type="text/xml",
        )
    else:  # a DTD inside the encrypted, correctly signed payload
        response = _post(
            client,
            account,
            '<!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
            "<xml><MsgType>event</MsgType><Event>kf_msg_or_event</Event><Token>&b;</Token></xml>",
        )

    expected = {"forged": 403, "stale": 403, "replayed": 409, "xxe": 400, "dtd_inside": 400}
    assert response.status_code == expected[case]
    assert _state() == before
