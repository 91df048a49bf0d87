"""A customer is found by any way of writing their phone, stored in E.164 or in the digits
stored before; the migration converts the old spellings."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.test import Client

from bihuan.customers.models import Customer, CustomerIdentity
from bihuan.customers.services import ContactDetails, create_customer, resolve_customer
from conftest import Org

pytestmark = pytest.mark.django_db

TYPED = ["138 0013 8000", "+86 138-0013-8000", "13800138000", "008613800138000", "138****8000"]


def _old_spelling(name: str, value: str, kind: str = "phone") -> Customer:
    """A customer whose identity is stored as before E.164 (as the migration may leave it)."""
    customer, _created = resolve_customer(ContactDetails(name=name), actor=None)
    CustomerIdentity.objects.create(
        customer=customer, kind=kind, value=value, is_primary=True, created_at=customer.created_at
    )
    return customer


@pytest.mark.parametrize("stored", ["e164", "old"])
@pytest.mark.parametrize("typed", TYPED)
def test_every_way_of_typing_a_phone_finds_the_customer_in_the_list(
    org: Org, stored: str, typed: str
) -> None:
    if stored == "e164":
        customer = create_customer(
            details=ContactDetails(name="王芳", phone="13800138000"), actor=org.agent
        )
    else:
        customer = _old_spelling("王芳", "13800138000")
    create_customer(details=ContactDetails(name="别人", phone="13800138001"), actor=org.agent)
    client = Client()
    client.force_login(org.agent)

    page = client.get("/customers/", {"q": typed})

    assert [c.pk for c, _contact in page.context["rows"]] == [customer.pk]
    assert [contact for _c, contact in page.context["rows"]] == ["138****8000"]
    table = page.content.decode().split('data-testid="customer-table"')[1]
    assert "+8613800138000" not in table
    assert "13800138000" not in table


def test_a_sender_known_by_an_old_spelling_is_linked_to_that_customer(org: Org) -> None:
    old = _old_spelling("老客户", "13800138000")
    old_mail = _old_spelling("老邮箱", "zhang@例子.中国", kind="email")

    by_phone, created = resolve_customer(ContactDetails(phone="+86 138 0013 8000"), actor=None)
    by_mail, mail_created = resolve_customer(ContactDetails(email="ZHANG@例子.中国"), actor=None)

    assert (by_phone.pk, created) == (old.pk, False)
    assert (by_mail.pk, mail_created) == (old_mail.pk, False)
    assert CustomerIdentity.objects.count() == 2


def test_external_ids_are_one_customer_per_source(org: Org) -> None:
    shop, _ = resolve_customer(
        ContactDetails(name="淘宝买家", external_id="10086", external_source="taobao"), actor=None
    )
    app, _ = resolve_customer(
        ContactDetails(name="App 用户", external_id="10086", external_source="app"), actor=None
    )
    again, created = resolve_customer(
        ContactDetails(external_id="10086", external_source="taobao"), actor=None
    )

    assert shop.pk != app.pk
    assert (again.pk, created) == (shop.pk, False)


def test_the_migration_converts_old_spellings_and_leaves_a_clash_for_the_duplicates(
    org: Org,
) -> None:
    migration = importlib.import_module(
        "bihuan.customers.migrations.0005_phones_in_e164_and_ascii_email_domains"
    )
    first = _old_spelling("甲", "13800138000")
    second = _old_spelling("乙", "+8613800138000")  # the same number, stored later
    landline = _old_spelling("丙", "02162345678")
    foreign = _old_spelling("丁", "16502530000")  # read as Chinese first: 165 is a mobile range
    unreadable = _old_spelling("戊", "12345")
    mail = _old_spelling("己", "zhang@例子.中国", kind="email")

    migration.forwards(apps, None)

    def value(customer: Customer) -> str:
        return CustomerIdentity.objects.get(customer=customer).value

    assert value(first) == "13800138000"  # its E.164 spelling is taken: it stays
    assert value(second) == "+8613800138000"
    assert value(landline) == "+862162345678"
    assert value(foreign) == "+8616502530000"
    assert value(unreadable) == "12345"
    assert value(mail) == "zhang@xn--fsqu00a.xn--fiqs8s"

    migration.backwards(apps, None)

    assert value(landline) == "02162345678"
    assert value(mail) == "zhang@例子.中国"
