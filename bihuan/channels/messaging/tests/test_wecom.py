"""WeCom customer service through its documented protocol: the callback (URL verification,
encrypted kf event), ``kf/sync_msg`` from the cursor, media download and ``kf/send_msg``
against a loopback server; duplicates, forgeries and replays change nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone

from bihuan.channels.messaging import services
from bihuan.channels.messaging.choices import DeliveryState, Direction
from bihuan.channels.messaging.crypto import WXBizMsgCrypt
from bihuan.channels.messaging.models import PlatformAccount, PlatformContact, PlatformMessage
from bihuan.channels.messaging.panels import platform_delivery_notes
from bihuan.channels.messaging.platforms.base import InboundMessage
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
from bihuan.channels.services import IncomingFile, attach_reply_files
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


def _ticket_from(
    client: Client, platform: PlatformServer, account: PlatformAccount, msgid: str, text: str
) -> Ticket:
    """A customer's text through the real callback and sync: the ticket it opened."""
    platform.sync_pages = [_page(_msg(msgid, "text", {"content": text}))]
    _post(client, account, _event(account))
    Runner("test").run_until_idle()
    return Ticket.objects.get()


def test_a_rate_limited_send_backs_off_and_is_retried_as_due_work(
    org: Org,
    platform: PlatformServer,
    client: Client,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    account = make_account(org, platform, "wecom")
    ticket = _ticket_from(client, platform, account, "from_msgid_7", "退款到账了吗")
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


OTHER = "wmAJ2GCAAAme1XQRC-NI-q0_ZM9ukoBx"


def test_new_customers_are_named_by_one_batchget_and_asked_only_once(
    org: Org, platform: PlatformServer, client: Client
) -> None:
    account = make_account(org, platform, "wecom")
    platform.profiles = {
        CUSTOMER: {"name": "张小花", "avatar": "https://wx.qlogo.cn/a", "unionid": "oUnion1"},
        OTHER: {"name": "王先生", "avatar": "", "unionid": ""},
    }
    second = {**_msg("from_msgid_b", "text", {"content": "我也要退货"}), "external_userid": OTHER}
    platform.sync_pages = [
        _page(_msg("from_msgid_a", "text", {"content": "发票什么时候开"}), second),
        _page(_msg("from_msgid_c", "text", {"content": "还在吗"}), cursor="c2"),
    ]

    _post(client, account, _event(account))
    Runner("test").run_until_idle()
    _post(client, account, _event(account))
    Runner("test").run_until_idle()

    [batch] = platform.calls("/cgi-bin/kf/customer/batchget")
    assert batch.body == {
        "external_userid_list": [CUSTOMER, OTHER],
        "need_enter_session_context": 0,
    }
    assert sorted(Ticket.objects.values_list("customer__name", flat=True)) == ["张小花", "王先生"]
    contact = PlatformContact.objects.get(peer_id=CUSTOMER)
    assert (contact.name, contact.avatar_url, contact.union_id) == (
        "张小花",
        "https://wx.qlogo.cn/a",
        "oUnion1",
    )
    assert contact.fetched_at is not None


def test_a_failed_profile_call_stores_the_message_and_asks_again_later(
    org: Org, platform: PlatformServer, client: Client
) -> None:
    account = make_account(org, platform, "wecom")
    platform.profiles = {CUSTOMER: {"name": "张小花", "avatar": "", "unionid": "oUnion1"}}
    # Busy at the message and at the first retry (at once, as due work): retried later.
    platform.profile_errors = [(200, {"errcode": -1, "errmsg": "system busy"})] * 2
    platform.sync_pages = [_page(_msg("from_msgid_f", "text", {"content": "在吗"}))]

    _post(client, account, _event(account))
    Runner("test").run_until_idle()

    ticket = Ticket.objects.get()
    assert ticket.messages.get().body == "在吗"
    assert ticket.customer.name != "张小花"  # named by the masked id meanwhile
    assert PlatformContact.objects.get().fetched_at is None
    item = DueItem.objects.get(kind="messaging.fetch_profiles")
    assert item.state == WorkState.PENDING

    Runner("test").run_until_idle(now=timezone.now() + timedelta(minutes=5))

    contact = PlatformContact.objects.get()
    assert (contact.name, contact.union_id) == ("张小花", "oUnion1")
    assert contact.fetched_at is not None
    assert len(platform.calls("/cgi-bin/kf/customer/batchget")) == 3


def test_reply_files_go_as_image_and_file_messages_uploaded_once_across_a_retry(
    org: Org,
    platform: PlatformServer,
    client: Client,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    account = make_account(org, platform, "wecom")
    ticket = _ticket_from(client, platform, account, "from_msgid_r", "要发票")
    attach_reply_files(
        ticket,
        files=[
            IncomingFile("截图.png", "image/png", PNG),
            IncomingFile("发票.pdf", "application/pdf", b"%PDF-1.4 invoice"),
        ],
        actor=org.agent,
    )
    # The image's send is rate-limited once: the retry sends it with the same media_id.
    platform.send_errors = [
        (200, {"errcode": 0, "errmsg": "ok", "msgid": "text-ok"}),
        (200, {"errcode": 95001, "errmsg": "send msg count limit"}),
    ]

    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.reply_to_customer(
            ticket, body="发票见附件。", actor=org.agent, channel="wecom"
        )
    Runner("test").run_until_idle()
    Runner("test").run_until_idle(now=timezone.now() + timedelta(minutes=5))

    uploads = platform.calls("/cgi-bin/media/upload")
    assert [(u.query["type"], u.body["media"].filename, u.body["media"].data) for u in uploads] == [
        ("image", "截图.png", PNG),
        ("file", "发票.pdf", b"%PDF-1.4 invoice"),
    ]
    row = PlatformMessage.objects.get(direction=Direction.OUTBOUND)
    image, pdf = MessageFile.objects.filter(ticket_message=row.ticket_message).order_by("pk")
    sends = [
        (s.body["msgtype"], s.body["msgid"], s.body[s.body["msgtype"]])
        for s in platform.calls("/cgi-bin/kf/send_msg")
    ]
    assert sends == [
        ("text", f"bihuan-{row.pk}", {"content": "发票见附件。"}),
        ("image", f"bihuan-{row.pk}-{image.pk}", {"media_id": "MEDIA_image-1"}),
        ("image", f"bihuan-{row.pk}-{image.pk}", {"media_id": "MEDIA_image-1"}),
        ("file", f"bihuan-{row.pk}-{pdf.pk}", {"media_id": "MEDIA_file-2"}),
    ]
    assert (row.state, row.platform_message_id) == (DeliveryState.SENT, "text-ok")


def test_a_file_larger_than_wecom_accepts_fails_the_reply_before_anything_is_sent(
    org: Org,
    platform: PlatformServer,
    client: Client,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    account = make_account(org, platform, "wecom")
    ticket = _ticket_from(client, platform, account, "from_msgid_l", "日志发我")
    # Bigger than Bihuan's own upload limit too, as a larger configured limit would allow.
    MessageFile.objects.create(
        ticket=ticket,
        uploaded_by=org.agent,
        filename="全量日志.zip",
        content_type="application/zip",
        size=20 * 1024 * 1024 + 1,
        file=ContentFile(b"0" * (20 * 1024 * 1024 + 1), name="big.zip"),
        created_at=timezone.now(),
    )

    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.reply_to_customer(ticket, body="请查收", actor=org.agent, channel="wecom")
    Runner("test").run_until_idle()

    row = PlatformMessage.objects.get(direction=Direction.OUTBOUND)
    assert row.state == DeliveryState.FAILED
    assert "全量日志.zip" in row.last_error
    assert "20 MB" in row.last_error
    assert platform.calls("/cgi-bin/media/upload") == []
    assert platform.calls("/cgi-bin/kf/send_msg") == []
    assert not DueItem.objects.filter(kind="messaging.deliver_reply").exists()
    # The ticket page says so beside the reply (the note the messaging app registers).
    reply = Message.objects.get(kind="reply")
    note = platform_delivery_notes([reply])[reply.pk]
    assert 'data-delivery="failed"' in note
    assert "全量日志.zip" in note


def test_a_switched_off_account_stores_messages_without_calling_its_platform(
    org: Org, platform: PlatformServer
) -> None:
    account = make_account(org, platform, "wecom")
    PlatformAccount.objects.filter(pk=account.pk).update(is_active=False)
    account.refresh_from_db()

    services.receive_messages(account, [InboundMessage("demo-1", CUSTOMER, "text", text="你好")])

    assert Ticket.objects.get().messages.get().body == "你好"
    assert platform.requests == []
    assert not PlatformContact.objects.exists()
