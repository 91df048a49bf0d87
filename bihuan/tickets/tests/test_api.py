"""The tickets API over HTTP through the real ASGI application."""

from __future__ import annotations

from typing import Any

import pytest

from bihuan.core.models import Event
from bihuan.customers.models import Customer, CustomerIdentity
from bihuan.testing.factories import make_ticket
from bihuan.tickets.models import Category, Message, Ticket

pytestmark = pytest.mark.django_db(transaction=True)


def _new(**extra: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "subject": "申请退款",
        "body": "我要申请退款，订单号 2024110512345，商品有划痕。",
        "channel": "app" if False else "api",
        "type": "after_sales",
        "priority": "high",
        "customer": {"name": "王芳", "phone": "138 0013 5678"},
    }
    payload.update(extra)
    return payload


def _counts() -> tuple[int, int, int, int]:
    return (
        Ticket.objects.count(),
        Message.objects.count(),
        Customer.objects.count(),
        Event.objects.count(),
    )


def test_create_ticket_returns_its_number_and_records_the_first_message(org: Any) -> None:
    client = org.client("zhangwei")

    response = client.post("/api/v1/tickets", json=_new(team_id=org.presales.pk))

    assert response.status_code == 201, response.text
    body = response.json()
    ticket = Ticket.objects.get(pk=body["number"])
    assert body["status"] == "new"
    assert body["priority"] == "high"
    assert body["type"] == "after_sales"
    assert body["team"] == {"id": org.presales.pk, "name": "售前咨询组"}
    assert ticket.messages.get().body.startswith("我要申请退款")
    # (Reactions of other apps, such as the SLA policy applied, add their own events.)
    ticket_events = Event.objects.filter(ticket_id=ticket.pk, verb__startswith="ticket.")
    assert list(ticket_events.values_list("verb", flat=True)) == ["ticket.created"]


def test_create_ticket_matches_an_existing_customer_by_any_identity(org: Any) -> None:
    client = org.client("zhangwei")
    first = client.post("/api/v1/tickets", json=_new()).json()

    second = client.post(
        "/api/v1/tickets",
        json=_new(customer={"phone": "+86 13800135678", "email": "Wang.Fang@Example.com"}),
    ).json()
    third = client.post(
        "/api/v1/tickets", json=_new(customer={"email": "wang.fang@example.com"})
    ).json()

    assert first["customer"]["id"] == second["customer"]["id"] == third["customer"]["id"]
    assert Customer.objects.count() == 1
    assert sorted(CustomerIdentity.objects.values_list("kind", "value")) == [
        ("email", "wang.fang@example.com"),
        ("phone", "+8613800135678"),  # stored in E.164 (customers)
    ]


def test_idempotency_key_creates_one_ticket_and_replays_the_same_answer(org: Any) -> None:
    client = org.client("zhangwei")
    headers = {"Idempotency-Key": "order-2024110512345-retry"}

    first = client.post("/api/v1/tickets", json=_new(), headers=headers)
    second = client.post("/api/v1/tickets", json=_new(), headers=headers)

    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert Ticket.objects.count() == 1


def test_idempotency_key_reused_for_another_request_is_refused(org: Any) -> None:
    client = org.client("zhangwei")
    headers = {"Idempotency-Key": "k-1"}
    client.post("/api/v1/tickets", json=_new(), headers=headers)
    before = _counts()

    response = client.post("/api/v1/tickets", json=_new(subject="别的问题"), headers=headers)

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"
    assert _counts() == before


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"priority": 3}, 422, "validation_failed"),
        ({"subject": ""}, 422, "validation_failed"),
        ({"customer": {}}, 422, "customer_required"),
        ({"customer": {"phone": "12ab"}}, 422, "validation_failed"),
        ({"customer": {"phone": "12345678901234567"}}, 422, "invalid_phone"),
        ({"customer": {"email": "not-an-email"}}, 422, "validation_failed"),
        ({"unknown_field": 1}, 422, "validation_failed"),
        ({"channel": "pigeon"}, 422, "validation_failed"),
        ({"team_id": 999999}, 422, "unknown_reference"),
        ({"team_id": True}, 422, "validation_failed"),
        ({"customer": {"id": 987654}}, 422, "unknown_reference"),
        ({"body": "我要退款\x00"}, 422, "validation_failed"),
        ({"tags": [""]}, 422, "validation_failed"),
    ],
)
def test_create_ticket_with_bad_input_is_refused_and_changes_nothing(
    org: Any, change: dict[str, Any], status: int, code: str
) -> None:
    client = org.client("zhangwei")
    before = _counts()

    response = client.post("/api/v1/tickets", json=_new(**change))

    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert response.json()["message"]
    assert _counts() == before


def test_malformed_json_is_a_clear_400_or_422(org: Any) -> None:
    client = org.client("zhangwei")

    response = client.post(
        "/api/v1/tickets", content=b"{not json", headers={"Content-Type": "application/json"}
    )

    assert response.status_code in (400, 422)
    assert response.json()["code"] in ("bad_request", "validation_failed")


def test_requests_without_a_valid_token_get_401(org: Any) -> None:
    anonymous = org.client(None)
    forged = type(anonymous)("bh_forged-token")

    assert anonymous.get("/api/v1/tickets").status_code == 401
    assert forged.get("/api/v1/tickets").status_code == 401
    assert forged.get("/api/v1/tickets").json()["code"] == "unauthenticated"


def test_list_walks_every_ticket_once_with_the_cursor(org: Any) -> None:
    for i in range(7):
        make_ticket(subject=f"问题 {i}", team=org.presales, phone=f"1390000000{i}")
    client = org.client("zhangwei")

    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/api/v1/tickets", params=params).json()
        seen += [t["number"] for t in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert pages == 3
    assert sorted(seen) == sorted(Ticket.objects.values_list("pk", flat=True))
    assert len(seen) == len(set(seen)) == 7


def test_previous_cursor_returns_the_page_before(org: Any) -> None:
    for i in range(5):
        make_ticket(subject=f"问题 {i}", team=org.presales)
    client = org.client("zhangwei")
    first = client.get("/api/v1/tickets", params={"limit": 2}).json()
    second = client.get(
        "/api/v1/tickets", params={"limit": 2, "cursor": first["next_cursor"]}
    ).json()

    back = client.get(
        "/api/v1/tickets", params={"limit": 2, "cursor": second["previous_cursor"]}
    ).json()

    assert [t["number"] for t in back["items"]] == [t["number"] for t in first["items"]]
    assert back["previous_cursor"] is None


def test_a_forged_cursor_is_a_422_not_a_500(org: Any) -> None:
    response = org.client("zhangwei").get("/api/v1/tickets", params={"cursor": "!!garbage"})

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_cursor"


def test_list_filters_by_status_and_type(org: Any) -> None:
    complaint = make_ticket(subject="投诉快递员态度", team=org.presales, kind="complaint")
    make_ticket(subject="咨询发票", team=org.presales, kind="inquiry")
    client = org.client("zhangwei")

    page = client.get("/api/v1/tickets", params={"type": ["complaint"], "status": ["new"]}).json()

    assert [t["number"] for t in page["items"]] == [complaint.pk]


def test_agent_cannot_read_a_ticket_outside_their_scope(org: Any) -> None:
    ticket = make_ticket(team=org.complaints)
    client = org.client("zhangwei")

    response = client.get(f"/api/v1/tickets/{ticket.pk}")
    listed = client.get("/api/v1/tickets").json()["items"]

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert listed == []


def test_patch_changes_fields_and_status_with_the_state_machine(org: Any) -> None:
    ticket = make_ticket(team=org.presales)
    client = org.client("zhangwei")

    response = client.patch(
        f"/api/v1/tickets/{ticket.pk}",
        json={
            "status": "solved",
            "priority": "urgent",
            "owner_id": org.agent.pk,
            "tags": ["加急"],
            "need_statement": "客户要求退款 199 元到原支付账户",
            "need_confirmed": True,
            "solution": "已提交退款，3 个工作日内到账",
        },
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["priority"], body["tags"]) == ("solved", "urgent", ["加急"])
    assert body["owner"]["username"] == "zhangwei"
    assert body["need_confirmed"] is True
    # The request's own events (other apps' reactions may run meanwhile and add theirs).
    verbs = list(
        Event.objects.filter(ticket_id=ticket.pk, verb__startswith="ticket.")
        .exclude(verb__startswith="ticket.call_back")
        .order_by("id")
        .values_list("verb", flat=True)
    )
    assert verbs == [
        "ticket.created",
        "ticket.need_recorded",
        "ticket.solution_recorded",
        "ticket.updated",
        "ticket.assigned",
        "ticket.updated",
        "ticket.status_changed",
    ]


def test_patch_with_a_forbidden_transition_changes_nothing(org: Any) -> None:
    ticket = make_ticket(team=org.presales)
    client = org.client("zhangwei")
    before = _counts()

    response = client.patch(
        f"/api/v1/tickets/{ticket.pk}", json={"status": "closed", "priority": "urgent"}
    )

    assert response.status_code == 409
    assert response.json()["code"] == "forbidden_transition"
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == ("new", 2)
    assert _counts() == before


def test_patch_refuses_a_boolean_where_an_integer_belongs(org: Any) -> None:
    ticket = make_ticket(team=org.presales)

    response = org.client("zhangwei").patch(f"/api/v1/tickets/{ticket.pk}", json={"owner_id": True})

    assert response.status_code == 422


def test_messages_reply_note_and_customer_message_build_the_timeline(org: Any) -> None:
    ticket = make_ticket(team=org.presales)
    client = org.client("zhangwei")

    reply = client.post(
        f"/api/v1/tickets/{ticket.pk}/messages", json={"kind": "reply", "body": "您好，已为您查询"}
    )
    note = client.post(
        f"/api/v1/tickets/{ticket.pk}/messages",
        json={"kind": "note", "body": "@lina 这个客户之前投诉过，请留意"},
    )
    customer = client.post(
        f"/api/v1/tickets/{ticket.pk}/messages", json={"kind": "customer", "body": "好的谢谢"}
    )
    timeline = client.get(f"/api/v1/tickets/{ticket.pk}/messages").json()["items"]

    assert (reply.status_code, note.status_code, customer.status_code) == (201, 201, 201)
    assert [(i["verb"], i["kind"]) for i in timeline if i["kind"]] == [
        ("ticket.created", "customer"),
        ("ticket.message_added", "reply"),
        ("ticket.message_added", "note"),
        ("ticket.message_added", "customer"),
    ]
    assert org.other_agent.notifications.count() == 1


def test_a_customer_reply_reopens_a_solved_ticket(org: Any) -> None:
    ticket = make_ticket(team=org.presales)
    client = org.client("zhangwei")
    client.patch(f"/api/v1/tickets/{ticket.pk}", json={"status": "solved"})

    client.post(
        f"/api/v1/tickets/{ticket.pk}/messages", json={"kind": "customer", "body": "还是不行"}
    )

    assert client.get(f"/api/v1/tickets/{ticket.pk}").json()["status"] == "open"


def test_commitments_are_added_and_completed(org: Any) -> None:
    ticket = make_ticket(team=org.presales)
    client = org.client("zhangwei")

    created = client.post(
        f"/api/v1/tickets/{ticket.pk}/commitments",
        json={"description": "明天18点前回电告知物流进度", "due_at": "2030-11-24T18:00:00+08:00"},
    )
    done = client.post(f"/api/v1/tickets/{ticket.pk}/commitments/{created.json()['id']}/complete")
    again = client.post(f"/api/v1/tickets/{ticket.pk}/commitments/{created.json()['id']}/complete")

    assert created.status_code == 201
    assert done.status_code == 200
    assert done.json()["done_at"]
    assert again.status_code == 409


def test_openapi_document_is_served(org: Any) -> None:
    response = org.client(None).get("/api/v1/openapi.json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/tickets" in paths
    assert "/api/v1/customers/{customer_id}" in paths


def test_the_create_answer_is_what_reading_the_ticket_back_shows(org: Any, settings: Any) -> None:
    # The answer is built from the objects the create service holds, not re-read: it must
    # equal a read of the stored ticket (reactions held back, so nothing changes it between).
    settings.BIHUAN_REACTIONS_INLINE = False
    parent = Category.objects.create(name="售后")
    category = Category.objects.create(name="退款", parent=parent)
    client, reader = org.client("zhangwei"), org.client("supervisor")
    first = client.post(
        "/api/v1/tickets",
        json=_new(
            team_id=org.presales.pk, category_id=category.pk, tags=["加急", " 复购 ", "加急"]
        ),
    )
    again = client.post(
        "/api/v1/tickets", json=_new(customer={"id": first.json()["customer"]["id"]})
    )

    for created in (first, again):
        assert created.status_code == 201, created.text
        read = reader.get(f"/api/v1/tickets/{created.json()['number']}")
        assert created.json() == read.json()
    assert first.json()["tags"] == ["加急", "复购"]
    assert first.json()["category"] == {"id": category.pk, "name": "售后 › 退款"}
    assert first.json()["department"] == {"id": org.service.pk, "name": "客服部"}
