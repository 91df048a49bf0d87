"""The WeChat Official Account through its documented protocol: plain-mode URL verification,
safe-mode (AES) and plain-mode message callbacks, ``media/get`` and the customer-service
``message/custom/send`` on a loopback server; duplicates, forgeries and replays change
nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from bihuan.channels.messaging.choices import DeliveryState, Direction
from bihuan.channels.messaging.crypto import WXBizMsgCrypt, plain_signature
from bihuan.channels.messaging.models import PlatformAccount, PlatformContact, PlatformMessage
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
from bihuan.core.models import Event
from bihuan.core.runner import Runner
from bihuan.customers.models import CustomerIdentity
from bihuan.tickets import services as ticket_services
from bihuan.tickets.models import Message, Ticket
from conftest import Org

pytestmark = [pytest.mark.django_db, pytest.mark.urls("bihuan.channels.messaging.tests.urls")]

OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"


def _xml(msg_id: str, kind: str, inner: str) -> str:
    return (
        "<xml><ToUserName><![CDATA[gh_7f083739789a]]></ToUserName>"
        f"<FromUserName><![CDATA[{OPENID}]]></FromUserName>"
        f"<CreateTime>{now()}</CreateTime><MsgType><![CDATA[{kind}]]></MsgType>"
        f"{inner}<MsgId>{msg_id}</MsgId></xml>"
    )


def _post(
    client: Client,
    account: PlatformAccount,
    plain: str,
    *,
    safe: bool = True,
    stamp: str | None = None,
    once: str | None = None,
    tamper: bool = False,
) -> Any:
    stamp = stamp or now()
    once = once or nonce()
    query = f"signature={plain_signature(TOKEN, stamp, once)}&timestamp={stamp}&nonce={once}"
    body = plain
    if safe:
        crypt = WXBizMsgCrypt(TOKEN, AES_KEY, account.app_id)
        encrypt = crypt.encrypt(plain.encode())
        signature = crypt.signature(stamp, once, encrypt)
        if tamper:
            signature = "0" * 40
        query += f"&openid={OPENID}&encrypt_type=aes&msg_signature={signature}"
        body = f"<xml><ToUserName><![CDATA[gh_7f083739789a]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"  # noqa: E501
    return client.post(f"{callback_path(account)}?{query}", data=body, content_type="text/xml")


def _state() -> tuple[int, ...]:
    return (
        Ticket.objects.count(),
        Message.objects.count(),
        PlatformMessage.objects.count(),
        MessageFile.objects.count(),
        Event.objects.count(),
    )


def test_url_verification_answers_the_echostr_when_the_signature_matches(
    org: Org, platform: PlatformServer, client: Client
) -> None:
    account = make_account(org, platform, "wechat")
    stamp, once = now(), nonce()

    good = client.get(
        callback_path(account),
        {
            "signature": plain_signature(TOKEN, stamp, once),
            "timestamp": stamp,
            "nonce": once,
            "echostr": "5837397520285719478",
        },
    )
    bad = client.get(
        callback_path(account),
        {"signature": "0" * 40, "timestamp": stamp, "nonce": nonce(), "echostr": "1"},
    )

    assert (good.status_code, good.content) == (200, b"5837397520285719478")
    assert bad.status_code == 403


def test_safe_mode_text_and_image_reach_the_openids_ticket_and_the_reply_goes_out(
    org: Org,
    platform: PlatformServer,
    client: Client,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    account = make_account(org, platform, "wechat")
    platform.media = {"MEDIA_1": (b"\xff\xd8\xff\xe0jpeg", "image/jpeg", "photo.jpg")}

    first = _post(
        client,
        account,
        _xml("23173000001", "text", "<Content><![CDATA[净化器显示 E3 怎么办]]></Content>"),
    )
    second = _post(
        client,
        account,
        _xml(
            "23173000002",
            "image",
            "<PicUrl><![CDATA[http://mmbiz.qpic.cn/x]]></PicUrl><MediaId><![CDATA[MEDIA_1]]></MediaId>",
        ),
    )

    assert (first.status_code, first.content) == (200, b"success")
    assert second.status_code == 200
    [ticket] = Ticket.objects.all()
    assert list(ticket.messages.order_by("id").values_list("body", flat=True)) == [
        "净化器显示 E3 怎么办",
        "（图片）",  # stored in the installation's language (zh-hans)
    ]
    identity = CustomerIdentity.objects.get(customer=ticket.customer)
    assert (identity.source, identity.value) == ("wechat:wx5823bf96d3bd56c7", OPENID)
    [stored] = MessageFile.objects.filter(ticket=ticket)
    assert (stored.filename, stored.file.read()) == ("photo.jpg", b"\xff\xd8\xff\xe0jpeg")

    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.reply_to_customer(
            ticket, body="请长按复位键 5 秒。", actor=org.agent, channel="wechat"
        )
    Runner("test").run_until_idle()

    [sent] = platform.calls("/cgi-bin/message/custom/send")
    assert sent.body == {
        "touser": OPENID,
        "msgtype": "text",
        "text": {"content": "请长按复位键 5 秒。"},
    }
    assert PlatformMessage.objects.get(direction=Direction.OUTBOUND).state == DeliveryState.SENT
    assert len(platform.calls("/cgi-bin/token")) == 1
    assert platform.calls("/cgi-bin/token")[0].query["appid"] == "wx5823bf96d3bd56c7"


def test_plain_mode_is_taken_only_by_an_account_without_a_key(
    org: Org, platform: PlatformServer, client: Client
) -> None:
    keyed = make_account(org, platform, "wechat")
    plain = make_account(org, platform, "wechat", app_id="wx0000000000000001", aes_key="")
    plain.aes_key = ""
    PlatformAccount.objects.filter(pk=plain.pk).update(aes_key="")
    text = _xml("23173000003", "text", "<Content><![CDATA[明文]]></Content>")

    refused = _post(client, keyed, text, safe=False)
    taken = _post(client, plain, text, safe=False)

    assert refused.status_code == 403
    assert taken.status_code == 200
    assert Message.objects.get().body == "明文"


def test_a_repeated_message_id_changes_nothing_and_a_refused_send_fails_with_the_reason(
    org: Org,
    platform: PlatformServer,
    client: Client,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    account = make_account(org, platform, "wechat")
    text = _xml("23173000004", "text", "<Content><![CDATA[在吗]]></Content>")
    _post(client, account, text)
    before = _state()

    again = _post(client, account, text)  # WeChat's retry: the same MsgId, a new nonce

    assert again.status_code == 200
    assert _state() == before
    platform.send_errors = [
        (200, {"errcode": 45047, "errmsg": "out of response count limit"}),
        (200, {"errcode": 45015, "errmsg": "response out of time limit"}),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.reply_to_customer(
            Ticket.objects.get(), body="您好", actor=org.agent, channel="wechat"
        )
    Runner("test").run_until_idle()
    Runner("test").run_until_idle(now=timezone.now() + timedelta(minutes=5))
    row = PlatformMessage.objects.get(direction=Direction.OUTBOUND)
    assert row.state == DeliveryState.FAILED  # 45047 backed off, 45015 is final
    assert row.last_error == "45015: response out of time limit"


@pytest.mark.parametrize("case", ["forged", "stale", "replayed", "xxe"])
def test_forged_stale_replayed_or_entity_callbacks_are_refused_and_change_nothing(
    org: Org, platform: PlatformServer, client: Client, case: str
) -> None:
    account = make_account(org, platform, "wechat")
    text = _xml("23173000005", "text", "<Content><![CDATA[hi]]></Content>")
    once = nonce()
    if case == "replayed":
        _post(client, account, _xml("23173000006", "text", "<Content>a</Content>"), once=once)
    before = _state()

    if case == "forged":
        response = _post(client, account, text, tamper=True)
    elif case == "stale":
        response = _post(client, account, text, stamp=str(int(now()) - 600))
    elif case == "replayed":
        response = _post(client, account, text, once=once)
    else:
        response = _post(
            client,
            account,
            '<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/hostname">]>'
            + _xml("23173000007", "text", "<Content>&x;</Content>"),
        )

    assert response.status_code == {"forged": 403, "stale": 403, "replayed": 409, "xxe": 400}[case]
    assert _state() == before


def test_a_followers_unionid_is_kept_without_a_nickname_and_reply_files_go_as_image_and_link(
    org: Org,
    platform: PlatformServer,
    client: Client,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    account = make_account(org, platform, "wechat")
    # Since 2021 user/info returns no nickname to most accounts: the unionid still comes.
    platform.profiles = {
        OPENID: {"name": "", "avatar": "", "unionid": "o6_bmasdasdsad6_2sgVt7hMZOPfL"}
    }
    _post(
        client, account, _xml("23637352235060880", "text", "<Content><![CDATA[查物流]]></Content>")
    )
    ticket = Ticket.objects.get()
    attach_reply_files(
        ticket,
        files=[
            IncomingFile("物流单.png", "image/png", b"\x89PNG waybill"),
            IncomingFile("签收单.pdf", "application/pdf", b"%PDF-1.4 receipt"),
        ],
        actor=org.agent,
    )

    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.reply_to_customer(
            ticket, body="单号见图。", actor=org.agent, channel="wechat"
        )
    Runner("test").run_until_idle()

    [info] = platform.calls("/cgi-bin/user/info")
    assert (info.query["openid"], info.query["lang"]) == (OPENID, "zh_CN")
    contact = PlatformContact.objects.get()
    assert (contact.name, contact.union_id) == ("", "o6_bmasdasdsad6_2sgVt7hMZOPfL")
    assert ticket.customer.name.startswith("oUp")  # the masked openid names the customer
    [upload] = platform.calls("/cgi-bin/media/upload")
    assert (upload.query["type"], upload.body["media"].data) == ("image", b"\x89PNG waybill")
    text, image, link = (s.body for s in platform.calls("/cgi-bin/message/custom/send"))
    assert text == {"touser": OPENID, "msgtype": "text", "text": {"content": "单号见图。"}}
    assert image == {"touser": OPENID, "msgtype": "image", "image": {"media_id": "MEDIA_image-1"}}
    name, url = link["text"]["content"].split("\n")
    assert (link["msgtype"], name) == ("text", "签收单.pdf")
    assert url.startswith("http://127.0.0.1:8000/messaging/files/")
    row = PlatformMessage.objects.get(direction=Direction.OUTBOUND)
    assert row.state == DeliveryState.SENT

    downloaded = client.get(url.removeprefix("http://127.0.0.1:8000"))
    forged = client.get(url.removeprefix("http://127.0.0.1:8000")[:-3] + "xx/")

    assert downloaded.status_code == 200
    assert b"".join(downloaded.streaming_content) == b"%PDF-1.4 receipt"  # type: ignore[attr-defined]
    assert "attachment" in downloaded["Content-Disposition"]
    assert forged.status_code == 404
