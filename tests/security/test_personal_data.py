"""Phones and emails are masked everywhere but the audited full record (issue 9)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client
from django.utils.translation import gettext, override

from bihuan.core.models import Event
from bihuan.customers.models import Customer, CustomerIdentity
from bihuan.testing.factories import make_ticket
from bihuan.tickets import services
from bihuan.tickets.models import Ticket
from conftest import Org

PHONE = "13812345678"
EMAIL = "zhangsan@example.com"


def _viewed() -> int:
    return Event.objects.filter(verb="customer.viewed").count()


@pytest.fixture
def ticket(org: Org) -> Ticket:
    ticket = make_ticket(team=org.presales, phone=PHONE, email=EMAIL, name="张三")
    services.update_ticket(
        ticket, services.TicketChanges(shared_departments=[org.tech]), actor=org.admin
    )
    services.reply_to_customer(ticket, body="您好，已为您查询。", actor=org.agent)
    services.add_internal_note(ticket, body="内部：客户上月投诉过", actor=org.agent)
    return ticket


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("username", ["admin", "supervisor", "zhangwei", "lina", "liuyang"])
def test_the_customer_list_api_masks_contacts_for_every_role_and_writes_no_audit(
    org: Org, ticket: Ticket, username: str
) -> None:
    response = org.client(username).get("/api/v1/customers", params={"q": PHONE})

    assert response.status_code == 200
    assert response.json()["items"][0]["identities"] == [
        {"kind": "email", "value": "z***@example.com", "is_primary": True},
        {"kind": "phone", "value": "138****5678", "is_primary": True},
    ]
    assert PHONE not in response.text
    assert EMAIL not in response.text
    assert _viewed() == 0


@pytest.mark.django_db(transaction=True)
def test_the_full_record_shows_contacts_and_each_read_is_audited(org: Org, ticket: Ticket) -> None:
    client = org.client("zhangwei")

    first = client.get(f"/api/v1/customers/{ticket.customer_id}")
    second = client.get(f"/api/v1/customers/{ticket.customer_id}")

    assert first.status_code == second.status_code == 200
    assert {i["value"] for i in first.json()["identities"]} == {PHONE, EMAIL}
    assert _viewed() == 2


@pytest.mark.django_db(transaction=True)
def test_creating_a_customer_answers_with_masked_contacts(org: Org) -> None:
    response = org.client("zhangwei").post(
        "/api/v1/customers", json={"name": "李四", "phone": "13900001111"}
    )

    assert response.status_code == 201
    assert response.json()["identities"][0]["value"] == "139****1111"


def _export(client: Client, ticket: Ticket, query: str = "") -> list[str]:
    response = client.get(f"/tickets/{ticket.pk}/record.csv{query}")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    return rows[1]


@pytest.mark.django_db
def test_the_export_masks_contacts_for_a_viewer_who_may_not_open_the_record(
    org: Org, ticket: Ticket
) -> None:
    client = Client()
    client.force_login(org.tech_member)

    row = _export(client, ticket)

    assert "138****5678" in row[3]
    assert "z***@example.com" in row[3]
    assert PHONE not in ",".join(row)
    assert EMAIL not in ",".join(row)
    assert _viewed() == 0


@pytest.mark.django_db
def test_the_export_of_a_viewer_who_may_open_the_record_is_full_and_audited(
    org: Org, ticket: Ticket
) -> None:
    client = Client()
    client.force_login(org.agent)

    row = _export(client, ticket)

    assert PHONE in row[3]
    assert EMAIL in row[3]
    assert Event.objects.get(verb="customer.viewed").data == {"via": "export"}


@pytest.mark.django_db
def test_the_export_leaves_internal_notes_out_unless_asked_and_then_marks_them(
    org: Org, ticket: Ticket
) -> None:
    client = Client()
    client.force_login(org.agent)

    customer_facing = _export(client, ticket)[-1]
    internal = _export(client, ticket, "?internal=1")[-1]

    assert "您好，已为您查询。" in customer_facing
    assert "客户上月投诉过" not in customer_facing
    with override("zh-hans"):
        marked = gettext("[internal note] %(text)s") % {"text": "内部：客户上月投诉过"}
    assert marked in internal
    assert internal.count("客户上月投诉过") == 1


@pytest.mark.django_db
def test_the_customer_admin_is_read_only_and_masked(org: Org, ticket: Ticket) -> None:
    client = Client()
    client.force_login(org.admin)
    customer = Customer.objects.get(pk=ticket.customer_id)
    url = f"/admin/customers/customer/{customer.pk}/change/"

    page = client.get(url)
    edit = client.post(url, {"name": "改名", "tier": "vip", "lifecycle_stage": "new"})
    added = client.post("/admin/customers/customer/add/", {"name": "新"})
    search = client.get("/admin/customers/customer/", {"q": PHONE})

    assert page.status_code == 200
    assert "138****5678" in page.content.decode()
    assert PHONE not in page.content.decode()
    assert edit.status_code == 403
    assert added.status_code == 403
    assert search.context["cl"].result_count == 0
    assert Customer.objects.get(pk=customer.pk).name == "张三"


def test_masking_keeps_only_the_ends(settings: Any) -> None:
    from bihuan.core.masking import mask_email, mask_phone

    assert [mask_phone(p) for p in ["13812345678", "02112345678", "123"]] == [
        "138****5678",
        "021****5678",
        "***",
    ]
    assert mask_email("a@b.cn") == "a***@b.cn"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("phone", "email", "name"),
    [
        ("13912345678", "", "139****5678"),
        ("", "lisi@example.com", "l***@example.com"),
        ("+86 139 1234 5678", "lisi@example.com", "l***@example.com"),
    ],
)
def test_a_customer_without_a_name_is_named_by_a_masked_contact(
    org: Org, phone: str, email: str, name: str
) -> None:
    ticket = make_ticket(team=org.presales, phone=phone, email=email, name="")
    client = Client()
    client.force_login(org.agent)

    inbox = client.get("/").content.decode()
    customers = client.get("/customers/").content.decode()

    assert Customer.objects.get(pk=ticket.customer_id).name == name
    for html in (inbox, customers):
        assert name in html
        assert "13912345678" not in html
        assert "lisi@example.com" not in html


@pytest.mark.django_db
def test_the_audit_log_keeps_added_identities_masked(org: Org, ticket: Ticket) -> None:
    make_ticket(team=org.presales, phone=PHONE, email="second@example.com")

    event = Event.objects.get(verb="customer.identity_added")

    assert event.data == {"kind": "email", "value": "s***@example.com"}


@pytest.mark.django_db
def test_the_migration_masks_names_and_audited_identities_stored_before(
    org: Org, ticket: Ticket
) -> None:
    import importlib

    from django.apps import apps

    fix = importlib.import_module(
        "bihuan.customers.migrations.0003_mask_names_and_audited_identities"
    )
    # As stored before E.164 (migration 0005), which is what 0003 ran on.
    CustomerIdentity.objects.filter(kind="phone").update(value=PHONE)
    Customer.objects.filter(pk=ticket.customer_id).update(name=PHONE)
    make_ticket(team=org.presales, phone=PHONE, email="second@example.com")
    Event.objects.filter(verb="customer.identity_added").update(
        data={"kind": "email", "value": "second@example.com"}
    )

    fix.mask(apps, None)

    assert Customer.objects.get(pk=ticket.customer_id).name == "138****5678"
    assert Event.objects.get(verb="customer.identity_added").data["value"] == "s***@example.com"
