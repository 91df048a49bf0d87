"""Messaging platforms for the demo: a WeCom customer-service account and a Feishu app, each
with a conversation that came in through it.

The accounts are switched off (their callbacks answer 404 and replies are recorded as not
sent): a demo never calls a real platform. The conversations go in through
``receive_messages``, the same service the platforms' callbacks use, so customers, tickets
and the platform message ids are what the real channel makes of them.
"""

from __future__ import annotations

from django.db import transaction

from bihuan.channels.messaging import services
from bihuan.channels.messaging.choices import Platform
from bihuan.channels.messaging.models import PlatformAccount, PlatformMessage
from bihuan.channels.messaging.platforms.base import InboundMessage
from bihuan.core.models import Event, Notification
from bihuan.customers.models import Customer, CustomerIdentity
from bihuan.demo.conversation import Cast
from bihuan.demo.material import organisation as org
from bihuan.tickets import services as ticket_services
from bihuan.tickets.models import Ticket

WECOM_CORP = "ww7d3c1e0a5b9f2d41"
FEISHU_APP = "cli_a5f1c2e3d4b60013"
DEMO_APP_IDS = (WECOM_CORP, FEISHU_APP)


def set_up_messaging(cast: Cast, ticket_ids: list[int]) -> dict[str, int]:
    """Two switched-off accounts and one conversation on each (``ticket_ids`` unchanged)."""
    admin = cast.users[org.ADMIN_USERNAME]
    team = cast.teams[org.AFTER_SALES_SERVICE]
    agent = cast.owners(org.AFTER_SALES_SERVICE)[0]
    wecom = services.save_account(
        services.AccountSettings(
            platform=Platform.WECOM,
            name="官方微信客服",
            app_id=WECOM_CORP,
            secret="demo-secret-not-real",  # noqa: S106 - a demo placeholder
            token="demoToken",  # noqa: S106
            aes_key="abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
            open_kfid="wkDemoA1b2C3d4E5f6G7h8I9j0",
            team=team,
            is_active=False,
        ),
        actor=admin,
    )
    feishu = services.save_account(
        services.AccountSettings(
            platform=Platform.FEISHU,
            name="企业客户飞书服务台",
            app_id=FEISHU_APP,
            secret="demo-secret-not-real",  # noqa: S106
            token="demo-verification-token",  # noqa: S106
            aes_key="demo-encrypt-key",
            team=team,
            is_active=False,
        ),
        actor=admin,
    )
    peer = "wmDemo9Xc2LrQ0uVbK7tYs1aNf3eHg"
    services.receive_messages(
        wecom,
        [
            InboundMessage(
                "demo-wecom-1",
                peer,
                "text",
                text="你好，我昨天买的扫地机器人 S7 到了，但是充电座一直亮红灯，机器充不进电。",
            ),
            InboundMessage("demo-wecom-2", peer, "text", text="订单号 20251203-8842，麻烦看一下。"),
        ],
    )
    ticket = Ticket.objects.get(pk=_ticket_of(wecom, "demo-wecom-1"))
    ticket_services.reply_to_customer(
        ticket,
        body="您好，红灯常亮一般是充电触点接触不良。请先用干布擦一下机器底部和充电座的金属触点，"
        "再把机器推到充电座上听到“开始充电”的提示音。如果还不行，我们安排换新。",
        actor=agent,
        channel=Platform.WECOM,
    )
    services.receive_messages(
        wecom,
        [InboundMessage("demo-wecom-3", peer, "text", text="擦了一下触点，现在可以充电了，谢谢！")],
    )
    open_id = "ou_demo5e8f1a2b3c4d5e6f7a8b9c0d1e2"
    services.receive_messages(
        feishu,
        [
            InboundMessage(
                "om_demo_feishu_1",
                open_id,
                "text",
                name="周婷",
                text="我们公司采购的 20 台会议平板，有 3 台开机后触摸失灵，想申请上门检修。",
            )
        ],
    )
    received = PlatformMessage.objects.filter(account__in=[wecom, feishu]).count()
    return {"messaging accounts": 2, "platform messages": received}


def _ticket_of(account: PlatformAccount, message_id: str) -> int:
    return int(
        PlatformMessage.objects.filter(account=account, platform_message_id=message_id)
        .values_list("ticket_id", flat=True)
        .get()
        or 0
    )


def delete_messaging_setup() -> None:
    """Remove the demo accounts, their conversations' tickets and the customers who wrote."""
    with transaction.atomic():
        accounts = PlatformAccount.objects.filter(app_id__in=DEMO_APP_IDS)
        sources = [f"{a.platform}:{a.app_id}" for a in accounts]
        customers = list(
            CustomerIdentity.objects.filter(source__in=sources).values_list(
                "customer_id", flat=True
            )
        )
        ticket_ids = list(
            Ticket.objects.filter(customer_id__in=customers).values_list("pk", flat=True)
        )
        PlatformMessage.objects.filter(account__in=accounts).delete()
        Notification.objects.filter(event__ticket_id__in=ticket_ids).delete()
        Event.objects.filter(ticket_id__in=ticket_ids).delete()
        Ticket.objects.filter(pk__in=ticket_ids).delete()
        Event.objects.filter(customer_id__in=customers).delete()
        Customer.objects.filter(pk__in=customers).delete()
        Event.objects.filter(verb="messaging.account_saved", data__app_id__in=DEMO_APP_IDS).delete()
        accounts.delete()
