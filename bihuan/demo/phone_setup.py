"""Phone and SMS for the demo: calls from the hotline and an SMS conversation.

Everything goes in through the channel's own services, as the call-centre webhook and the
SMS webhook would deliver it: an answered call with its recording, a call missed after
hours (its call-back is due the next business morning), a call an agent logged by hand, and
an SMS conversation. No SMS provider is turned on, so nothing is ever sent to a real phone.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from bihuan.accounts.models import User
from bihuan.channels.phone import services
from bihuan.channels.phone.models import (
    CallEventReceipt,
    CallRecord,
    CtiSettings,
    InboundSms,
    SmsProvider,
)
from bihuan.core.models import Event, Notification
from bihuan.customers.identity import normalize_phone
from bihuan.customers.models import Customer, CustomerIdentity
from bihuan.customers.services import update_customer
from bihuan.demo.conversation import Cast
from bihuan.demo.material import organisation as org
from bihuan.tickets import services as ticket_services
from bihuan.tickets.models import CallBack, Ticket

HOTLINE = "4008201234"
CALL_PREFIX = "demo-call-"
SMS_PREFIX = "demo-sms-"
# (name, phone): the customers of these calls and messages.
SUN = ("孙丽", "+8613912340001")
ZHOU = ("周强", "+8613912340002")
WU = ("吴芳", "+8613912340003")
DEMO_PHONES = (SUN[1], ZHOU[1], WU[1])


def _event(
    call_id: str, event: str, at: datetime, direction: str, phone: str, **extra: str
) -> None:
    caller, callee = (phone, HOTLINE) if direction == "inbound" else (HOTLINE, phone)
    services.receive_call_event(
        services.CallEvent(
            call_id=CALL_PREFIX + call_id,
            event=event,
            occurred_at=at,
            direction=direction,
            caller=caller,
            callee=callee,
            agent=extra.get("agent", ""),
            recording_url=extra.get("recording_url", ""),
        )
    )


def _name(phone: str, name: str, *, actor: User) -> None:
    """The customer a call created has only a masked number for a name: the real one, as an
    agent would type it (through the customers service)."""
    identity = CustomerIdentity.objects.filter(kind="phone", value=phone).first()
    if identity is not None and identity.customer.name != name:
        update_customer(identity.customer, name=name, actor=actor)


def set_up_phone(cast: Cast, ticket_ids: list[int]) -> dict[str, int]:
    """Hotline calls and an SMS conversation; ``ticket_ids`` are left as they are."""
    now = timezone.now()
    agent = cast.owners(org.AFTER_SALES_SERVICE)[0]
    with transaction.atomic():
        if not CtiSettings.objects.exists():
            CtiSettings.objects.create(call_back_minutes=120, updated_at=now)

    # Local clock times two days back, so the call-back the next morning is in the past at
    # whatever hour the demo is loaded.
    day = timezone.localtime(now) - timedelta(days=2)
    # An answered call about a washing machine, with its recording.
    start = day.replace(hour=10, minute=12, second=0, microsecond=0)
    _event("0001", "started", start, "inbound", SUN[1])
    _event(
        "0001", "answered", start + timedelta(seconds=18), "inbound", SUN[1], agent=agent.username
    )
    _event(
        "0001",
        "ended",
        start + timedelta(minutes=6, seconds=41),
        "inbound",
        SUN[1],
        recording_url="https://cti.bihuan-demo.example/recordings/demo-call-0001.mp3",
    )
    sun_ticket = CallRecord.objects.get(call_id=CALL_PREFIX + "0001").ticket
    ticket_services.add_internal_note(
        sun_ticket,
        body="客户来电：滚筒洗衣机脱水时噪音很大，已指导检查底脚螺丝，明天上门检测。",
        actor=agent,
    )

    # A call missed after hours: its call-back is due the next business morning.
    missed = day.replace(hour=19, minute=47, second=0, microsecond=0)
    _event("0002", "started", missed, "inbound", ZHOU[1])
    _event("0002", "ended", missed + timedelta(seconds=25), "inbound", ZHOU[1])

    # The agent calls back and logs the call by hand.
    zhou_ticket = CallRecord.objects.get(call_id=CALL_PREFIX + "0002").ticket
    services.log_call(
        services.ManualCall(
            direction="outbound",
            phone=ZHOU[1],
            started_at=missed + timedelta(hours=14),
            duration_minutes=4,
            answered=True,
            note="已回电：客户询问延保服务价格，已发送报价短信。",
        ),
        actor=agent,
        ticket=zhou_ticket,
    )

    # An SMS conversation (received through an HTTP gateway that is not switched on).
    with transaction.atomic():
        provider, _created = SmsProvider.objects.get_or_create(
            kind="generic",
            defaults={"base_url": "http://127.0.0.1:9/sms", "is_active": False, "updated_at": now},
        )
    services.receive_inbound_sms(
        provider,
        message_id=SMS_PREFIX + "0001",
        sender=WU[1],
        text="你好，我的订单20251201-8830显示已签收，但我没有收到快递，麻烦查一下。",
    )
    services.receive_inbound_sms(
        provider,
        message_id=SMS_PREFIX + "0002",
        sender=WU[1],
        text="快递员电话打不通，小区门口的快递柜也没有。",
    )
    for name, phone in (SUN, ZHOU, WU):
        _name(normalize_phone(phone), name, actor=agent)
    return {
        "phone calls": CallRecord.objects.filter(
            customer__identities__value__in=DEMO_PHONES
        ).count(),
        "inbound SMS": InboundSms.objects.filter(
            provider_message_id__startswith=SMS_PREFIX
        ).count(),
    }


def delete_phone_setup() -> None:
    """Remove the demo calls, SMS, their tickets and customers."""
    with transaction.atomic():
        customers = list(
            CustomerIdentity.objects.filter(value__in=DEMO_PHONES).values_list(
                "customer_id", flat=True
            )
        )
        ticket_ids = list(
            Ticket.objects.filter(customer_id__in=customers).values_list("pk", flat=True)
        )
        CallEventReceipt.objects.filter(call_id__startswith=CALL_PREFIX).delete()
        CallBack.objects.filter(ticket_id__in=ticket_ids).delete()
        Notification.objects.filter(event__ticket_id__in=ticket_ids).delete()
        Event.objects.filter(ticket_id__in=ticket_ids).delete()
        Ticket.objects.filter(pk__in=ticket_ids).delete()
        Event.objects.filter(customer_id__in=customers).delete()
        Customer.objects.filter(pk__in=customers).delete()
        SmsProvider.objects.filter(kind="generic", base_url="http://127.0.0.1:9/sms").delete()
