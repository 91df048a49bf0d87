"""The chat widget for the demo: the shop site's widget and two finished chat conversations.

Visitors' messages go in through ``receive_visitor_message`` and ``identify_visitor`` (what
the visitor's WebSocket calls), agents answer through the ticket services: the tickets,
customers and events are what the real channel makes. The widget allows the demo's own
address (``BIHUAN_PUBLIC_URL`` and the local ones), so ``/chat/demo/`` works after ``make
run`` with ``BIHUAN_DEBUG=1`` or ``BIHUAN_CHAT_DEMO=1``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from bihuan.accounts.models import User
from bihuan.channels.chat import services
from bihuan.channels.chat.models import ChatMessage, ChatVisitor, ChatWidget
from bihuan.core.models import Event, Notification
from bihuan.customers.models import Customer, CustomerIdentity, CustomerMerge
from bihuan.demo.conversation import Cast
from bihuan.demo.material import organisation as org
from bihuan.tickets import services as ticket_services
from bihuan.tickets.choices import TicketStatus
from bihuan.tickets.models import Ticket

WIDGET_NAME = "云朵数码官网在线客服"
VISITOR_KEYS = ("demo-visitor-earphones", "demo-visitor-invoice")
CUSTOMER_CONTACTS = ("liu.yang.shop@163.example", "+8613911112222")


def _origins() -> str:
    public = str(getattr(settings, "BIHUAN_PUBLIC_URL", "") or "").rstrip("/")
    local = ["http://127.0.0.1:8000", "http://localhost:8000"]
    return "\n".join(dict.fromkeys([*([public] if public else []), *local]))


def set_up_chat(cast: Cast, ticket_ids: list[int]) -> dict[str, int]:
    """The widget (pre-sales queue) and two chats: one solved in the chat, one identified by
    phone and closed. ``ticket_ids`` are left alone: chats open tickets of their own."""
    admin = cast.users[org.ADMIN_USERNAME]
    agent = cast.owners(org.PRESALES)[0]
    widget = ChatWidget.objects.filter(name=WIDGET_NAME).first() or services.create_widget(
        services.WidgetFields(
            name=WIDGET_NAME,
            allowed_origins=_origins(),
            team=cast.teams[org.PRESALES],
            greeting="您好，欢迎光临云朵数码！我是在线客服，请问有什么可以帮您？",
            offline_message=(
                "客服在线时间为每天 9:00–21:00。请留下您的问题和邮箱或手机号，"
                "我们上班后第一时间回复您。"
            ),
            max_chats_per_agent=4,
        ),
        actor=admin,
    )
    earphones = _earphones_chat(widget, agent)
    invoice = _invoice_chat(widget, agent)
    return {"chat widgets": 1, "chat conversations": len({earphones.pk, invoice.pk})}


def _visitor(widget: ChatWidget, key: str, lines: list[str], prefix: str) -> Ticket:
    received = None
    for number, line in enumerate(lines, start=1):
        received = services.receive_visitor_message(
            widget, visitor_key=key, client_id=f"{prefix}-{number}", body=line
        )
    assert received is not None
    return Ticket.objects.get(pk=received.ticket_id)


def _earphones_chat(widget: ChatWidget, agent: User) -> Ticket:
    key = VISITOR_KEYS[0]
    ticket = _visitor(
        widget, key, ["你好，在吗？", "轻听 Pro 降噪耳机和苹果手机能一起用吗？"], "demo-a"
    )
    ticket_services.reply_to_customer(
        ticket,
        body="您好！可以的，轻听 Pro 支持蓝牙 5.3，iPhone 和安卓手机都能连接。",
        actor=agent,
    )
    _visitor(widget, key, ["降噪效果怎么样？地铁上能用吗？"], "demo-a2")
    ticket_services.reply_to_customer(
        ticket,
        body="主动降噪最高 42dB，地铁、飞机上都很适合。现在下单还送收纳包哦。",
        actor=agent,
    )
    services.identify_visitor(widget, visitor_key=key, name="刘洋", email=CUSTOMER_CONTACTS[0])
    _visitor(widget, key, ["好的，我下单了，谢谢！"], "demo-a3")
    ticket_services.reply_to_customer(
        ticket, body="感谢您的支持！订单发货后会短信通知您，祝您生活愉快～", actor=agent
    )
    ticket_services.change_status(ticket, status=TicketStatus.SOLVED, actor=agent)
    return ticket


def _invoice_chat(widget: ChatWidget, agent: User) -> Ticket:
    key = VISITOR_KEYS[1]
    ticket = _visitor(widget, key, ["请问公司采购可以开增值税专用发票吗？"], "demo-b")
    ticket_services.reply_to_customer(
        ticket,
        body="可以的。请提供公司名称、税号、开户行及账号、注册地址和电话，我们为您开具专票。",
        actor=agent,
    )
    services.identify_visitor(widget, visitor_key=key, name="周经理", phone=CUSTOMER_CONTACTS[1])
    _visitor(
        widget,
        key,
        ["我们要采购 20 台星河 X5，开票信息我发到客服邮箱可以吗？"],
        "demo-b2",
    )
    ticket_services.reply_to_customer(
        ticket,
        body="可以，请发到 service@bihuan-demo.cn，并注明订单号。20 台以上可享企业团购价，"
        "稍后我们的大客户经理会给您打电话。",
        actor=agent,
    )
    ticket_services.change_status(ticket, status=TicketStatus.SOLVED, actor=agent)
    return ticket


def delete_chat_setup() -> None:
    """Remove the demo widget, its chats' tickets and the customers who wrote them."""
    with transaction.atomic():
        visitors = ChatVisitor.objects.filter(key__in=VISITOR_KEYS)
        ticket_ids = set(
            ChatMessage.objects.filter(visitor__in=visitors).values_list("ticket_id", flat=True)
        )
        customers = set(
            CustomerIdentity.objects.filter(
                value__in=[*CUSTOMER_CONTACTS, *VISITOR_KEYS]
            ).values_list("customer_id", flat=True)
        )
        customers |= set(
            Customer.objects.filter(merged_into_id__in=customers).values_list("pk", flat=True)
        )
        customers |= set(
            Ticket.objects.filter(pk__in=ticket_ids).values_list("customer_id", flat=True)
        )
        Notification.objects.filter(event__ticket_id__in=ticket_ids).delete()
        Event.objects.filter(ticket_id__in=ticket_ids).delete()
        ChatVisitor.objects.filter(key__in=VISITOR_KEYS).delete()
        Ticket.objects.filter(pk__in=ticket_ids).delete()
        Event.objects.filter(customer_id__in=customers).delete()
        Customer.objects.filter(merged_into_id__in=customers).update(merged_into=None)
        CustomerMerge.objects.filter(survivor_id__in=customers).delete()
        Customer.objects.filter(pk__in=customers).delete()
        widget = ChatWidget.objects.filter(name=WIDGET_NAME)
        Event.objects.filter(
            subject_type="bihuan_chat.chatwidget", subject_id__in=widget.values("pk")
        ).delete()
        widget.delete()
