"""Order and tracking numbers are recognised in messages by admin-configured patterns and
shown on the ticket and on the customer."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps
from django.test import Client

from bihuan.core.models import Event
from bihuan.customers.models import Customer
from bihuan.customers.services import merge_customers
from bihuan.testing.factories import make_ticket
from bihuan.tickets import services as ticket_services
from bihuan.triage import order_numbers
from bihuan.triage.models import OrderNumberMention, OrderNumberPattern
from conftest import Org

pytestmark = pytest.mark.django_db
SEED = importlib.import_module("bihuan.triage.migrations.0004_seed_order_number_patterns")


@pytest.fixture
def defaults() -> list[OrderNumberPattern]:
    """The seeded patterns (seeded again: a transactional test elsewhere may have flushed
    the rows the migration wrote)."""
    SEED.seed(apps, None)
    return list(OrderNumberPattern.objects.order_by("position", "id"))


def _found(text: str, patterns: list[OrderNumberPattern]) -> list[tuple[str, str]]:
    return [(f.label, f.number) for f in order_numbers.find_order_numbers(text, patterns)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("订单号2987654321098765432还没发货", [("淘宝/天猫订单号", "2987654321098765432")]),
        (
            "tmall order 352781926405183726, please check",
            [("淘宝/天猫订单号", "352781926405183726")],
        ),
        ("京东订单号：286523490187，显示已签收", [("京东订单号", "286523490187")]),
        ("我在京东买的，订单 2501234567890 没到", [("京东订单号", "2501234567890")]),
        ("JD order 2865234901 is late", [("京东订单号", "2865234901")]),
        ("拼多多 231102-074638291048571 申请退款", [("拼多多订单号", "231102-074638291048571")]),
        ("运单号:SF140892347561，三天没更新", [("顺丰运单号", "SF140892347561")]),
        ("顺丰 ＳＦ１４０８９２３４７５６１２ 到哪了", [("顺丰运单号", "SF1408923475612")]),
        ("中通 75318240693715 显示派送中", [("中通运单号", "75318240693715")]),
        ("单号78123456789012到了吗", [("中通运单号", "78123456789012")]),
        (
            "淘宝订单 1934567890123456782，顺丰 SF1408923475612",
            [("淘宝/天猫订单号", "1934567890123456782"), ("顺丰运单号", "SF1408923475612")],
        ),
    ],
)
def test_the_default_patterns_find_real_shaped_numbers(
    defaults: list[OrderNumberPattern], text: str, expected: list[tuple[str, str]]
) -> None:
    assert _found(text, defaults) == expected


@pytest.mark.parametrize(
    "text",
    [
        "身份证号 110101199003074518",  # an ID card number is not an order
        "身份证 11010119900307451X",
        "手机 13800138000，座机 021-62345678",
        "订单 286523490187",  # 12 digits without 京东: could be anything
        "京东订单 123456789",  # too short
        "240611-48392017562039 少了一位",
        "2024-06-11 下的单",
        "SF12345 不是运单号",
        "XSF1408923475612",
        "sf14089234756",
        "7531824069371 十三位",
        "753182406937155 十五位",
        "AB75318240693715",
        "123456789012345678901 太长",
    ],
)
def test_the_default_patterns_pass_over_near_misses(
    defaults: list[OrderNumberPattern], text: str
) -> None:
    assert _found(text, defaults) == []


def test_every_seeded_pattern_finds_a_number_in_its_own_example(
    defaults: list[OrderNumberPattern],
) -> None:
    assert len(defaults) == 5
    assert all(
        order_numbers.numbers_in(p.example, order_numbers.compile_pattern(p.regex))
        for p in defaults
    )


def test_numbers_in_any_message_show_on_the_ticket_and_the_customer(
    org: Org, defaults: list[OrderNumberPattern], django_capture_on_commit_callbacks: Any
) -> None:
    # One block: the test's one transaction registers one wake-up, which handles them all.
    with django_capture_on_commit_callbacks(execute=True):
        first = make_ticket(
            team=org.presales, phone="13800138000", body="淘宝订单号 3527819264051837264 没发货"
        )
        ticket_services.add_customer_message(
            first, body="顺丰单号 SF1408923475612，还是没动", channel="phone"
        )
        second = make_ticket(
            team=org.presales,
            phone="13800138000",
            subject="又一单",
            body="京东订单号：286523490187",
        )
    client = Client()
    client.force_login(org.agent)

    ticket_page = client.get(f"/tickets/{first.pk}/").content.decode()
    customer_page = client.get(f"/customers/{first.customer_id}/").content.decode()

    assert second.customer_id == first.customer_id
    assert 'data-number="3527819264051837264"' in ticket_page
    assert 'data-number="SF1408923475612"' in ticket_page
    assert 'data-number="286523490187"' not in ticket_page  # another ticket's number
    for number in ["3527819264051837264", "SF1408923475612", "286523490187"]:
        assert f'data-number="{number}"' in customer_page


def test_a_message_read_twice_keeps_each_number_once(
    org: Org, defaults: list[OrderNumberPattern]
) -> None:
    ticket = make_ticket(team=org.presales, body="中通 75318240693715，中通 75318240693715")
    message = ticket.messages.get()

    first = order_numbers.record_order_numbers([message.pk])
    again = order_numbers.record_order_numbers([message.pk])

    assert (first, again) == (1, 0)
    assert list(OrderNumberMention.objects.values_list("number", "label")) == [
        ("75318240693715", "中通运单号")
    ]


def test_numbers_follow_the_ticket_when_customers_are_merged(
    org: Org, defaults: list[OrderNumberPattern]
) -> None:
    ticket = make_ticket(team=org.presales, phone="13900139000", body="SF1408923475612")
    order_numbers.record_order_numbers([ticket.messages.get().pk])
    survivor = Customer.objects.get(
        pk=make_ticket(team=org.presales, phone="13800138000").customer_id
    )
    merged = Customer.objects.get(pk=ticket.customer_id)

    merge_customers(merged, into=survivor, actor=org.agent)

    assert [r.number for r in order_numbers.customer_order_numbers(org.agent, survivor)] == [
        "SF1408923475612"
    ]
    assert order_numbers.customer_order_numbers(org.agent, merged) == []


@pytest.fixture
def admin_client(org: Org) -> Client:
    client = Client()
    client.force_login(org.admin)
    return client


@pytest.mark.parametrize(
    ("regex", "example", "field", "code_text"),
    [
        (r"SF(\d{12", "SF140892347561", "regex", "not a valid regular expression"),
        (r"(SF)(\d{12})", "SF140892347561", "regex", "Name the group"),
        (r"SF\d{12}", "没有单号", "example", "finds no number in its example"),
        (r"SF\d{12}" * 40, "SF140892347561", "regex", "at most 300 characters"),
    ],
)
def test_a_bad_pattern_is_refused_with_the_reason_and_nothing_is_saved(
    org: Org, admin_client: Client, regex: str, example: str, field: str, code_text: str
) -> None:
    before = (OrderNumberPattern.objects.count(), Event.objects.count())

    response = admin_client.post(
        "/triage/order-numbers/new/",
        {"name": "顺丰", "regex": regex, "example": example, "position": "0", "action": "save"},
        headers={"Accept-Language": "en"},
    )

    assert response.status_code == 422
    errors = " ".join(str(e) for e in response.context["form"].errors.get(field, []))
    assert code_text in errors
    assert (OrderNumberPattern.objects.count(), Event.objects.count()) == before


def test_the_preview_shows_what_a_pattern_finds_before_saving(
    org: Org, admin_client: Client
) -> None:
    response = admin_client.post(
        "/triage/order-numbers/new/",
        {
            "name": "韵达",
            "regex": r"(?<!\d)(?P<number>43\d{11})(?!\d)",
            "example": "韵达 4312345678901",
            "sample": "两个单号 4398765432109 和 4311111111111，一个电话 13800138000",
            "position": "9",
            "action": "preview",
        },
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert response.context["preview"] == {
        "example": ["4312345678901"],
        "sample": ["4398765432109", "4311111111111"],
    }
    assert not OrderNumberPattern.objects.filter(name="韵达").exists()


def test_an_admin_saves_and_changes_a_pattern_and_each_save_is_recorded(
    org: Org, admin_client: Client
) -> None:
    form = {
        "name": "韵达快递",
        "regex": r"(?<!\d)(?P<number>43\d{11})(?!\d)",
        "example": "韵达 4312345678901",
        "position": "9",
        "is_active": "on",
        "action": "save",
    }

    created = admin_client.post("/triage/order-numbers/new/", form)
    pattern = OrderNumberPattern.objects.get(name="韵达快递")
    changed = admin_client.post(f"/triage/order-numbers/{pattern.pk}/", {**form, "is_active": ""})
    listing = admin_client.get("/triage/order-numbers/")

    assert created.status_code == changed.status_code == 302
    pattern.refresh_from_db()
    assert not pattern.is_active
    assert list(
        Event.objects.filter(subject_type="triage.ordernumberpattern")
        .order_by("id")
        .values_list("verb", "actor_id")
    ) == [("triage.rule_created", org.admin.pk), ("triage.rule_changed", org.admin.pk)]
    assert Event.objects.filter(verb="triage.rule_changed").get().data["changes"] == {
        "is_active": [True, False]
    }
    assert "韵达快递" in listing.content.decode()


@pytest.mark.parametrize("user", ["agent", "supervisor", "tech_member"])
def test_only_admins_see_or_change_patterns(
    org: Org, defaults: list[OrderNumberPattern], user: str
) -> None:
    client = Client()
    client.force_login(getattr(org, user))
    pattern = defaults[0]
    before = list(OrderNumberPattern.objects.values_list("pk", "name", "regex", "is_active"))

    listing = client.get("/triage/order-numbers/")
    edit = client.post(
        f"/triage/order-numbers/{pattern.pk}/",
        {"name": "改", "regex": r"\d+", "example": "1", "position": "0", "action": "save"},
    )

    assert listing.status_code == 404
    assert edit.status_code == 404
    assert list(OrderNumberPattern.objects.values_list("pk", "name", "regex", "is_active")) == (
        before
    )
