"""Automatic answers (智能预处理) for the demo: switched on for the web form and the chat
widget, sent as the presales agent, and three new inquiries from demo customers that show
each outcome on first start: answered and waiting for the customer, answered and then passed
to an agent because the customer wrote that it did not help, and left to the agents (no
public article answers it). Runs after the knowledge shelf (``knowledge_setup``)."""

from __future__ import annotations

from bihuan.core.models import Event
from bihuan.customers.models import Customer
from bihuan.demo.conversation import Cast
from bihuan.demo.material import organisation
from bihuan.knowledge import auto_answers
from bihuan.knowledge.models import AutoAnswerChannel
from bihuan.tickets import services as ticket_services
from bihuan.tickets.choices import Channel
from bihuan.tickets.models import Message, Ticket

CHANNELS = (Channel.WEB, Channel.CHAT)
SENDER = "zhangwei"
# (channel, subject, first message, the customer's next message or "")
INQUIRIES: tuple[tuple[str, str, str, str], ...] = (
    (Channel.WEB, "发票怎么开", "请问订单的发票怎么开具？", ""),
    (
        Channel.CHAT,
        "退款多久到账",
        "退款一般多久到账？",
        "没用，我的退款已经十天了还没到账，请转人工。",
    ),
    (Channel.WEB, "修改收货地址", "下单后还能修改收货地址吗？", ""),
)


def set_up_auto_answers(cast: Cast, ticket_ids: list[int]) -> dict[str, int]:
    """Switch automatic answers on for the web form and chat, and answer three new inquiries
    of demo customers (the customers of the first demo tickets) through the real services."""
    admin = cast.users[organisation.ADMIN_USERNAME]
    for channel in CHANNELS:
        if not AutoAnswerChannel.objects.filter(channel=channel).exists():
            auto_answers.configure_auto_answers(
                auto_answers.ChannelSetting(
                    channel=channel, is_enabled=True, sender=cast.users[SENDER]
                ),
                actor=admin,
            )
    customers = list(
        Ticket.objects.filter(pk__in=ticket_ids)
        .order_by("pk")
        .values_list("customer", flat=True)
        .distinct()[: len(INQUIRIES)]
    )
    answered = 0
    for customer_id, (via, subject, body, follow_up) in zip(customers, INQUIRIES, strict=False):
        if Ticket.objects.filter(customer_id=customer_id, subject=subject).exists():
            continue
        ticket = ticket_services.create_ticket(
            ticket_services.NewTicket(
                subject=subject,
                body=body,
                channel=via,
                customer=Customer.objects.get(pk=customer_id),
            ),
            actor=None,
        )
        opening = Message.objects.get(ticket=ticket)
        row = auto_answers.answer_automatically(ticket.pk, message_id=opening.pk)
        if row is not None and row.is_answered:
            answered += 1
            if follow_up:
                message = ticket_services.add_customer_message(ticket, body=follow_up)
                auto_answers.hand_over(ticket.pk, reason=auto_answers.handover_reason(message.body))
    return {"automatic answers": answered}


def delete_auto_answer_setup() -> None:
    """Remove the channel settings and their events (the demo tickets, with their automatic
    answers, go with the demo customers)."""
    settings = list(
        AutoAnswerChannel.objects.filter(channel__in=CHANNELS).values_list("pk", flat=True)
    )
    Event.objects.filter(
        subject_type="knowledge.autoanswerchannel", subject_id__in=settings
    ).delete()
    AutoAnswerChannel.objects.filter(pk__in=settings).delete()
