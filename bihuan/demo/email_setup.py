"""Email for the demo: a support mailbox and a handful of real-looking email conversations.

Each mail is built as the client that sends it would (Foxmail in GBK, QQ Mail in GB18030,
Outlook in GB2312, Apple Mail in UTF-8, with their quoting styles and headers) and goes in
through ``ingest_email``, the one entry point of every inbound mail: threading, quoting,
charsets, attachments and customers are what the real channel makes of them. Agents answer
through the ticket services and the email channel queues their replies, so a customer's
answer threads back by ``In-Reply-To`` to the Message-ID of our mail.

Customers write from addresses under the reserved ``.example`` domain, so a demo with
outbound SMTP configured never mails a real person.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from django.db import transaction
from django.utils import timezone

from bihuan.accounts.models import User
from bihuan.channels.choices import InboundStatus
from bihuan.channels.models import InboundEmail, Mailbox, OutboundEmail
from bihuan.channels.services import DELIVERY_KIND, delivery_key, ingest_email, queue_email_reply
from bihuan.core.models import DueItem, Event, Notification, WorkState
from bihuan.customers.models import Customer, CustomerIdentity
from bihuan.demo.conversation import Cast
from bihuan.demo.material import organisation as org
from bihuan.tickets import services as ticket_services
from bihuan.tickets.choices import Channel
from bihuan.tickets.models import Ticket

MAILBOX_ADDRESS = "service@bihuan-demo.cn"
MAILBOX_NAME = "售后服务邮箱"
OUR_NAME = "闭环客服"
ID_DOMAIN = "mail.demo.example"  # the customers' Message-IDs (ours carry BIHUAN_MAIL_DOMAIN)

ZHAO = ("赵敏", "zhaomin@foxmail.example")
LI = ("李雷", "lilei.2008@qq.example")
CHEN = ("陈静", "chenjing@huaxin-trading.example")
EMMA = ("Emma Walker", "emma.walker@icloud.example")
CUSTOMER_ADDRESSES = (ZHAO[1], LI[1], CHEN[1], EMMA[1])


def _png(width: int = 48, height: int = 32) -> bytes:
    """A small real PNG (a red display on grey), as a phone photo of an error code stands in."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b""
    for y in range(height):
        row = b"\x00"
        for x in range(width):
            lit = 12 <= x < 36 and 10 <= y < 22
            row += bytes((220, 40, 40) if lit else (200, 200, 200))
        rows += row
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _pdf(lines: list[str]) -> bytes:
    """A one-page PDF with ASCII text (an invoice-details sheet)."""
    text = "BT /F1 11 Tf 50 780 Td 14 TL " + " ".join(f"({line}) '" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(text)} >>\nstream\n{text}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out


@dataclass(frozen=True)
class Mail:
    """One mail as its client writes it."""

    sender: tuple[str, str]
    subject: str
    body: str
    message_id: str
    sent_at: datetime
    charset: str = "utf-8"
    headers: tuple[tuple[str, str], ...] = ()
    in_reply_to: str = ""
    references: str = ""
    attachments: tuple[tuple[str, str, bytes], ...] = ()  # (file name, MIME type, bytes)

    def raw(self) -> bytes:
        message = EmailMessage()
        message["From"] = f"{self.sender[0]} <{self.sender[1]}>"
        message["To"] = f"{OUR_NAME} <{MAILBOX_ADDRESS}>"
        message["Subject"] = self.subject
        message["Date"] = format_datetime(self.sent_at)
        message["Message-ID"] = self.message_id
        if self.in_reply_to:
            message["In-Reply-To"] = self.in_reply_to
            message["References"] = self.references or self.in_reply_to
        for name, value in self.headers:
            message[name] = value
        message.set_content(self.body, charset=self.charset)
        for filename, mime, data in self.attachments:
            main, sub = mime.split("/", 1)
            message.add_attachment(data, maintype=main, subtype=sub, filename=filename)
        return message.as_bytes()


FOXMAIL = (("X-Mailer", "Foxmail 7.2.25.228[cn]"),)
QQMAIL = (("X-Mailer", "QQMail 2.x"), ("X-QQ-MIME", "TCMime 1.0 by Tencent"))
OUTLOOK = (("X-Mailer", "Microsoft Outlook 16.0"), ("Thread-Topic", "CleanAir 300 批量采购询价"))
APPLE = (("X-Mailer", "iPhone Mail (21G93)"),)


def _when(at: datetime) -> str:
    return f"{at.year}年{at.month}月{at.day}日 {at:%H:%M}"


def _reply(ticket: Ticket, agent: User, body: str) -> OutboundEmail:
    """An agent's email reply, and the mail the email channel queues for it."""
    message = ticket_services.reply_to_customer(
        ticket, body=body, actor=agent, channel=Channel.EMAIL
    )
    outbound = queue_email_reply(message)
    if outbound is None:
        raise RuntimeError("an email reply was not queued")
    return outbound


def _ingest(mail: Mail, mailbox: Mailbox) -> Ticket:
    result = ingest_email(mail.raw(), mailbox=mailbox)
    if result.status != InboundStatus.ON_TICKET or result.ticket_number is None:
        raise RuntimeError(f"a demo mail did not land on a ticket: {result.line()}")
    return Ticket.objects.get(pk=result.ticket_number)


def set_up_email(cast: Cast, ticket_ids: list[int]) -> dict[str, int]:
    """The support mailbox (LMTP, bound to the after-sales queue) and four conversations.

    ``ticket_ids`` (the generated tickets) are left as they are: these conversations open
    tickets of their own, as mail does.
    """
    now = timezone.now()
    team = cast.teams[org.AFTER_SALES_SERVICE]
    agent = cast.owners(org.AFTER_SALES_SERVICE)[0]
    with transaction.atomic():
        mailbox, _created = Mailbox.objects.get_or_create(
            address=MAILBOX_ADDRESS,
            defaults={"name": MAILBOX_NAME, "team": team, "created_at": now},
        )
    tickets = [
        _purifier_conversation(mailbox, agent, now),
        _invoice_conversation(mailbox, agent, now),
        _bulk_order_conversation(mailbox, now),
        _wrong_size(mailbox, now),
    ]
    inbound = InboundEmail.objects.filter(ticket__in=tickets).count()
    return {"email conversations": len(tickets), "inbound emails": inbound}


def _purifier_conversation(mailbox: Mailbox, agent: User, now: datetime) -> Ticket:
    """Foxmail (GBK): a photo of an error code, our advice, her answer above our quoted mail."""
    first_at = now - timedelta(days=2, hours=3)
    ticket = _ingest(
        Mail(
            sender=ZHAO,
            subject="空气净化器开机报E3错误",
            body=(
                "你好，\n\n"
                "我上个月在你们旗舰店买的 CleanAir 300 空气净化器，这两天一开机就显示 E3，"
                "十几秒后自动关机。已经按说明书把滤网拆下来重新装过了，还是一样。\n"
                "订单号 20251108-5521，附件是屏幕的照片。\n\n"
                "麻烦尽快帮忙看看，家里有老人，挺着急的。\n\n"
                "赵敏\n"
            ),
            message_id=f"<202512041030254418817@{ID_DOMAIN}>",
            sent_at=first_at,
            charset="gbk",
            headers=FOXMAIL,
            attachments=(("E3故障照片.png", "image/png", _png()),),
        ),
        mailbox,
    )
    advice = (
        "赵女士您好，\n\n"
        "E3 是风机转速传感器的报警。请先拔掉电源，长按机身背面的复位键 5 秒，"
        "再通电开机试一下。\n"
        "如果仍然报 E3，我们安排寄修，往返运费由我们承担，修好后寄回。"
    )
    ours = _reply(ticket, agent, advice)
    name = agent.display_name or agent.username
    _ingest(
        Mail(
            sender=ZHAO,
            subject=f"回复：{ours.subject}",
            body=(
                "复位之后还是 E3，开机大概十秒就关了。那就麻烦安排寄修吧，我周末都在家，"
                "上门取件的话提前打我电话就行。\n\n"
                "赵敏\n\n\n"
                f"发件人：{OUR_NAME}\n"
                f"发送时间：{_when(first_at + timedelta(hours=2))}\n"
                f"收件人：{ZHAO[0]}\n"
                f"主题：{ours.subject}\n\n"
                f"{advice}\n\n-- \n{name}\n"
            ),
            message_id=f"<202512051914118231409@{ID_DOMAIN}>",
            sent_at=now - timedelta(days=1, hours=1),
            charset="gbk",
            headers=FOXMAIL,
            in_reply_to=ours.message_id,
        ),
        mailbox,
    )
    return ticket


def _invoice_conversation(mailbox: Mailbox, agent: User, now: datetime) -> Ticket:
    """QQ Mail (GB18030): invoice details as a PDF; a thank-you above QQ's 原始邮件 block."""
    first_at = now - timedelta(days=1, hours=6)
    ticket = _ingest(
        Mail(
            sender=LI,
            subject="申请开具增值税专用发票",
            body=(
                "您好！\n\n"
                "订单 20251121-0932（扫地机器人 X5 两台）需要开增值税专用发票，"
                "开票信息见附件，麻烦开好后发到这个邮箱。\n\n"
                "谢谢\n李雷\n"
            ),
            message_id=f"<tencent_4F1C2A9E77B35D0A8E6B1C02@{ID_DOMAIN}>",
            sent_at=first_at,
            charset="gb18030",
            headers=QQMAIL,
            attachments=(
                (
                    "开票信息.pdf",
                    "application/pdf",
                    _pdf(
                        [
                            "Invoice details",
                            "Company: Hangzhou Xinghe Technology Co., Ltd.",
                            "Tax ID: 91330106MA2XXXXXX1",
                            "Bank: ICBC Hangzhou Xixi Branch",
                        ]
                    ),
                ),
            ),
        ),
        mailbox,
    )
    answer = (
        "李先生您好，\n\n"
        "开票信息已收到，专用发票会在 3 个工作日内开出，电子版发到您的邮箱，"
        "纸质发票随后顺丰寄出。"
    )
    ours = _reply(ticket, agent, answer)
    _ingest(
        Mail(
            sender=LI,
            subject=f"回复：{ours.subject}",
            body=(
                "好的，收到，谢谢！\n\n"
                "------------------ 原始邮件 ------------------\n"
                f'发件人: "{OUR_NAME}"<{MAILBOX_ADDRESS}>;\n'
                f"发送时间: {_when(first_at + timedelta(hours=1))}\n"
                f'收件人: "{LI[0]}"<{LI[1]}>;\n'
                f"主题: {ours.subject}\n\n"
                f"{answer}\n"
            ),
            message_id=f"<tencent_9A0B3C6D2E1F47588C0D9E13@{ID_DOMAIN}>",
            sent_at=now - timedelta(hours=20),
            charset="gb18030",
            headers=QQMAIL,
            in_reply_to=ours.message_id,
        ),
        mailbox,
    )
    return ticket


def _bulk_order_conversation(mailbox: Mailbox, now: datetime) -> Ticket:
    """Outlook (GB2312): a company buyer's request, then her own correction quoting it."""
    first_at = now - timedelta(hours=9)
    first_id = f"<SEZPR06MB69127A4C1B2E0D9F3A8B7C6D5E@{ID_DOMAIN}>"
    request = (
        "您好，\n\n"
        "我司计划为新办公室采购 CleanAir 300 空气净化器 120 台，"
        "请报一下企业采购价和交货周期，另外是否可以开具专票、提供上门安装？\n\n"
        "此致\n陈静\n华信贸易有限公司 行政部\n电话：021-6088 5123"
    )
    ticket = _ingest(
        Mail(
            sender=CHEN,
            subject="CleanAir 300 批量采购询价",
            body=request + "\n",
            message_id=first_id,
            sent_at=first_at,
            charset="gb2312",
            headers=OUTLOOK,
        ),
        mailbox,
    )
    _ingest(
        Mail(
            sender=CHEN,
            subject="答复: CleanAir 300 批量采购询价",
            body=(
                "补充一下：数量改为 200 台，分两批送到浦东和徐汇两个地址。\n\n"
                "陈静\n\n"
                "-----原始邮件-----\n"
                f"发件人: {CHEN[0]} <{CHEN[1]}>\n"
                f"发送时间: {_when(first_at)}\n"
                f"收件人: {OUR_NAME} <{MAILBOX_ADDRESS}>\n"
                "主题: CleanAir 300 批量采购询价\n\n"
                f"{request}\n"
            ),
            message_id=f"<SEZPR06MB6912C0FFEE11223344556677@{ID_DOMAIN}>",
            sent_at=now - timedelta(hours=7),
            charset="gb2312",
            headers=OUTLOOK,
            in_reply_to=first_id,
        ),
        mailbox,
    )
    return ticket


def _wrong_size(mailbox: Mailbox, now: datetime) -> Ticket:
    """Apple Mail (English): a new request with the iPhone tagline folded away."""
    return _ingest(
        Mail(
            sender=EMMA,
            subject="Wrong size delivered – order 20251130-7714",
            body=(
                "Hi,\n\n"
                "I ordered the running shoes in EU 38 but the box has EU 40 inside. "
                "Could you send the right size and tell me how to return these?\n\n"
                "Thanks,\nEmma\n\n"
                "Sent from my iPhone\n"
            ),
            message_id=f"<8D5B1E2A-7C3F-4A9B-B0E6-2F4C9A1D7E35@{ID_DOMAIN}>",
            sent_at=now - timedelta(hours=3),
            headers=APPLE,
        ),
        mailbox,
    )


def delete_email_setup() -> None:
    """Remove the demo mailbox, its conversations' tickets and the customers who wrote them."""
    with transaction.atomic():
        customers = list(
            CustomerIdentity.objects.filter(value__in=CUSTOMER_ADDRESSES).values_list(
                "customer_id", flat=True
            )
        )
        ticket_ids = list(
            Ticket.objects.filter(customer_id__in=customers).values_list("pk", flat=True)
        )
        outbound = OutboundEmail.objects.filter(ticket_id__in=ticket_ids)
        DueItem.objects.filter(
            kind=DELIVERY_KIND,
            key__in=[delivery_key(row) for row in outbound],
            state=WorkState.PENDING,
        ).update(state=WorkState.CANCELLED, finished_at=timezone.now())
        InboundEmail.objects.filter(ticket_id__in=ticket_ids).delete()
        InboundEmail.objects.filter(message_id__endswith=f"@{ID_DOMAIN}>").delete()
        Notification.objects.filter(event__ticket_id__in=ticket_ids).delete()
        Event.objects.filter(ticket_id__in=ticket_ids).delete()
        Ticket.objects.filter(pk__in=ticket_ids).delete()
        Event.objects.filter(customer_id__in=customers).delete()
        Customer.objects.filter(pk__in=customers).delete()
        Mailbox.objects.filter(address=MAILBOX_ADDRESS).delete()
