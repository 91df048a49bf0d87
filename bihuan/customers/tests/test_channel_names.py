"""A sender known by more than one external id (a WeChat unionid beside an openid), and the
name a channel's profile gives a customer while it still has the masked default."""

from __future__ import annotations

from bihuan.core.models import Event
from bihuan.customers.models import CustomerIdentity
from bihuan.customers.services import (
    ContactDetails,
    name_customer_from_channel,
    resolve_customer,
    update_customer,
)
from conftest import Org

OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
UNIONID = "o6_bmasdasdsad6_2sgVt7hMZOPfL"


def test_a_second_external_id_finds_the_customer_another_account_made(db: None) -> None:
    on_wecom, _ = resolve_customer(
        ContactDetails(
            external_id="wmAJ2GCAAAme1XQRC-NI-q0_ZM9ukoAw",
            external_source="wecom:ww1436e0e65a779aee",
            more_externals=(("wechat:unionid", UNIONID),),
        ),
        actor=None,
    )

    found, created = resolve_customer(
        ContactDetails(
            external_id=OPENID,
            external_source="wechat:wx5823bf96d3bd56c7",
            more_externals=(("wechat:unionid", UNIONID),),
        ),
        actor=None,
    )

    assert (found.pk, created) == (on_wecom.pk, False)
    assert sorted(
        CustomerIdentity.objects.filter(customer=found).values_list("source", flat=True)
    ) == ["wechat:unionid", "wechat:wx5823bf96d3bd56c7", "wecom:ww1436e0e65a779aee"]


def test_a_channel_names_a_customer_only_while_the_name_is_the_masked_default(
    org: Org,
) -> None:
    by_openid, _ = resolve_customer(
        ContactDetails(external_id=OPENID, external_source="wechat:wx5823bf96d3bd56c7"),
        actor=None,
    )
    by_phone, _ = resolve_customer(ContactDetails(phone="13800138000"), actor=None)
    update_customer(by_phone, actor=org.admin, name="王先生")
    masked = by_openid.name

    renamed = name_customer_from_channel(by_openid, " 陈静 ")
    again = name_customer_from_channel(by_openid, "小陈")
    kept = name_customer_from_channel(by_phone, "张小花")

    assert (renamed, again, kept) == (True, False, False)
    by_openid.refresh_from_db()
    by_phone.refresh_from_db()
    assert (by_openid.name, by_phone.name) == ("陈静", "王先生")
    event = Event.objects.get(verb="customer.named")
    assert (event.customer_id, event.actor_id) == (by_openid.pk, None)
    assert event.data == {"name": [masked, "陈静"]}
