"""The customers API over HTTP through the real ASGI application."""

from __future__ import annotations

from typing import Any

import pytest

from bihuan.core.models import Event
from bihuan.customers.models import Customer
from bihuan.testing.factories import make_ticket

pytestmark = pytest.mark.django_db(transaction=True)


def test_create_customer_and_read_it_with_its_history(org: Any) -> None:
    client = org.client("zhangwei")

    created = client.post(
        "/api/v1/customers",
        json={
            "name": "赵敏",
            "phone": "139-1234-5678",
            "email": "zhaomin@example.cn",
            "organisation": "杭州云杉科技有限公司",
            "tier": "gold",
        },
    )
    customer_id = created.json()["id"]
    make_ticket(subject="发票抬头错误", phone="13912345678", team=org.presales)
    make_ticket(subject="想了解企业版价格", email="zhaomin@example.cn", team=org.presales)
    detail = client.get(f"/api/v1/customers/{customer_id}")

    assert created.status_code == 201, created.text
    assert detail.status_code == 200
    body = detail.json()
    assert body["organisation"] == "杭州云杉科技有限公司"
    assert [t["subject"] for t in body["tickets"]] == ["想了解企业版价格", "发票抬头错误"]
    assert Event.objects.filter(verb="customer.viewed", customer_id=customer_id).count() == 1


def test_create_customer_with_a_phone_that_belongs_to_someone_is_refused(org: Any) -> None:
    make_ticket(phone="13912345678")
    client = org.client("zhangwei")
    before = Customer.objects.count()

    response = client.post("/api/v1/customers", json={"name": "冒名", "phone": "13912345678"})

    assert response.status_code == 422
    assert response.json()["code"] == "identity_taken"
    assert Customer.objects.count() == before


def test_list_customers_finds_by_phone(org: Any) -> None:
    make_ticket(phone="13912345678", name="赵敏")
    make_ticket(phone="13800000000", name="钱多多")

    page = org.client("zhangwei").get("/api/v1/customers", params={"q": "139 1234 5678"}).json()

    assert [c["name"] for c in page["items"]] == ["赵敏"]


def test_department_member_cannot_open_an_unrelated_customer(org: Any) -> None:
    ticket = make_ticket(phone="13912345678")

    response = org.client("wangqiang").get(f"/api/v1/customers/{ticket.customer_id}")

    assert response.status_code == 404
    assert not Event.objects.filter(verb="customer.viewed").exists()


def test_a_search_with_a_nul_character_is_a_clear_422(org: Any) -> None:
    response = org.client("zhangwei").get("/api/v1/customers", params={"q": "王\x00"})

    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"
