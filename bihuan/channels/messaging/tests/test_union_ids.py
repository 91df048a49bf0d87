"""One WeChat user writing to the Official Account and to WeCom customer service (the same
unionid) is one customer, named by the profile that has a nickname."""

from __future__ import annotations

from bihuan.channels.messaging import services
from bihuan.channels.messaging.platforms.base import InboundMessage
from bihuan.channels.messaging.tests.conftest import make_account
from bihuan.channels.messaging.tests.platform_server import PlatformServer
from bihuan.customers.models import CustomerIdentity
from bihuan.tickets.models import Ticket
from conftest import Org

OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
EXTERNAL_USERID = "wmAJ2GCAAAme1XQRC-NI-q0_ZM9ukoAw"
UNIONID = "o6_bmasdasdsad6_2sgVt7hMZOPfL"


def test_the_same_unionid_on_the_official_account_and_on_wecom_is_one_customer(
    org: Org, platform: PlatformServer
) -> None:
    official = make_account(org, platform, "wechat")
    wecom = make_account(org, platform, "wecom")
    platform.profiles = {
        OPENID: {"name": "", "avatar": "", "unionid": UNIONID},  # no nickname since 2021
        EXTERNAL_USERID: {"name": "张小花", "avatar": "", "unionid": UNIONID},
    }

    services.receive_messages(official, [InboundMessage("m-1", OPENID, "text", text="查物流")])
    services.receive_messages(
        wecom, [InboundMessage("m-2", EXTERNAL_USERID, "text", text="还没到")]
    )

    on_official, on_wecom = Ticket.objects.order_by("pk").select_related("customer")
    assert (on_official.channel, on_wecom.channel) == ("wechat", "wecom")
    assert on_official.customer_id == on_wecom.customer_id
    assert on_wecom.customer.name == "张小花"  # the masked openid gave way to the nickname
    assert sorted(
        CustomerIdentity.objects.filter(customer_id=on_wecom.customer_id).values_list(
            "source", "value"
        )
    ) == [
        ("wechat:unionid", UNIONID),
        (services.identity_source(official), OPENID),
        (services.identity_source(wecom), EXTERNAL_USERID),
    ]
