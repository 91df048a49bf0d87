"""Lost updates and the end of the loop: ETag/If-Match, the page's version, closing only
with every commitment settled, a closed ticket refusing every change, due times in range
(issue 9)."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from django.utils import timezone

from bihuan.core.errors import Conflict, ValidationFailed
from bihuan.core.models import Event
from bihuan.customers.models import Customer
from bihuan.testing.factories import make_ticket
from bihuan.tickets import services
from bihuan.tickets.choices import Priority, TicketStatus
from bihuan.tickets.models import Commitment, Ticket
from conftest import Org
from tests.security.state import db_state

repair = importlib.import_module("bihuan.tickets.migrations.0004_commitment_cancel_and_date_repair")


def _later(days: int = 1) -> datetime:
    return timezone.now() + timedelta(days=days)


def _solved(org: Org, *, with_commitment: bool = True) -> tuple[Ticket, Commitment | None]:
    ticket = make_ticket(team=org.presales)
    commitment = None
    if with_commitment:
        commitment = services.add_commitment(
            ticket, description="明天回电", due_at=_later(), actor=org.agent
        )
    services.change_status(ticket, status=TicketStatus.SOLVED, actor=org.agent)
    return ticket, commitment


# --- ETag / If-Match ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_patch_with_a_stale_if_match_answers_412_and_changes_nothing(org: Org) -> None:
    ticket = make_ticket(team=org.presales)
    client = org.client("zhangwei")
    etag = client.get(f"/api/v1/tickets/{ticket.pk}").headers["ETag"]
    services.update_ticket(
        ticket, services.TicketChanges(owner=org.other_agent), actor=org.supervisor
    )
    before = db_state()

    response = client.patch(
        f"/api/v1/tickets/{ticket.pk}", json={"owner_id": org.agent.pk}, headers={"If-Match": etag}
    )

    assert response.status_code == 412
    assert response.json()["code"] == "precondition_failed"
    assert db_state() == before
    assert Ticket.objects.get(pk=ticket.pk).owner_id == org.other_agent.pk


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("form", ["{etag}", "W/{etag}", '"nope", {etag}', "*"])
def test_patch_with_a_current_if_match_applies_and_returns_the_new_etag(
    org: Org, form: str
) -> None:
    ticket = make_ticket(team=org.presales)
    client = org.client("zhangwei")
    etag = client.get(f"/api/v1/tickets/{ticket.pk}").headers["ETag"]

    response = client.patch(
        f"/api/v1/tickets/{ticket.pk}",
        json={"priority": "urgent"},
        headers={"If-Match": form.format(etag=etag)},
    )

    assert response.status_code == 200, response.text
    assert response.headers["ETag"] != etag
    assert Ticket.objects.get(pk=ticket.pk).priority == Priority.URGENT


def _panel(ticket: Ticket) -> dict[str, Any]:
    """The side panel as the page posts it: each field and the value it was shown with."""
    values = {
        "status": ticket.status,
        "priority": str(ticket.priority),
        "kind": ticket.kind,
        "category": ticket.category_id or "",
        "owner": ticket.owner_id or "",
        "team": ticket.team_id or "",
        "department": ticket.department_id or "",
        "tags": "",
        "emotion": ticket.emotion,
    }
    data: dict[str, Any] = {**values, "version": services.form_version(ticket, "panel")}
    data.update({f"initial-{name}": value for name, value in values.items()})
    return data


@pytest.mark.django_db
def test_the_side_panel_refuses_to_overwrite_a_colleagues_reassignment(org: Org) -> None:
    ticket = make_ticket(team=org.presales)
    shown = _panel(ticket)
    services.update_ticket(
        ticket, services.TicketChanges(owner=org.other_agent), actor=org.supervisor
    )
    client = Client()
    client.force_login(org.agent)
    before = db_state()

    response = client.post(
        f"/tickets/{ticket.pk}/properties/", {**shown, "priority": "4"}, follow=True
    )

    assert db_state() == before
    assert Ticket.objects.get(pk=ticket.pk).owner_id == org.other_agent.pk
    messages = [str(m) for m in response.context["messages"]]
    assert any("刷新" in m for m in messages), messages


@pytest.mark.django_db
def test_a_note_or_customer_message_meanwhile_does_not_block_the_side_panel(org: Org) -> None:
    ticket = make_ticket(team=org.presales)
    shown = _panel(ticket)
    services.add_internal_note(ticket, body="我来跟进", actor=org.other_agent)
    services.add_customer_message(ticket, body="还在吗？")
    client = Client()
    client.force_login(org.agent)

    client.post(f"/tickets/{ticket.pk}/properties/", {**shown, "priority": "4"})

    assert Ticket.objects.get(pk=ticket.pk).priority == 4


@pytest.mark.django_db
@pytest.mark.parametrize(
    "colleague",
    [
        {"solution": "已换货"},
        {"need_statement": "客户要换货", "need_confirmed": True},
    ],
)
def test_the_need_and_solution_form_refuses_to_overwrite_a_colleagues_change(
    org: Org, colleague: dict[str, Any]
) -> None:
    ticket = make_ticket(team=org.presales)
    shown = {
        "need_statement": "客户要退款",
        "solution": "退款",
        "version": services.form_version(ticket, "handling"),
    }
    services.patch_ticket(ticket, services.TicketChanges(), actor=org.other_agent, **colleague)
    client = Client()
    client.force_login(org.agent)
    before = db_state()
    stored = Ticket.objects.get(pk=ticket.pk)

    client.post(f"/tickets/{ticket.pk}/handling/", shown)

    assert db_state() == before
    after = Ticket.objects.get(pk=ticket.pk)
    assert (after.need_statement, after.solution) == (stored.need_statement, stored.solution)


@pytest.mark.django_db
def test_the_side_panel_saves_only_the_fields_the_agent_changed(org: Org) -> None:
    ticket = make_ticket(team=org.presales)
    client = Client()
    client.force_login(org.agent)
    shown = _panel(ticket)

    response = client.post(f"/tickets/{ticket.pk}/properties/", {**shown, "priority": "4"})

    assert response.status_code == 302
    event = Event.objects.filter(verb="ticket.updated").latest("id")
    assert event.data == {"changes": {"priority": [Priority.NORMAL, 4]}}


# --- Closing and closed tickets ------------------------------------------------------------


@pytest.mark.django_db
def test_a_ticket_with_an_open_commitment_cannot_close(org: Org) -> None:
    ticket, _commitment = _solved(org)
    before = db_state()

    with pytest.raises(Conflict) as refused:
        services.change_status(ticket, status=TicketStatus.CLOSED, actor=org.agent)

    assert refused.value.code == "commitments_open"
    assert db_state() == before


@pytest.mark.django_db
@pytest.mark.parametrize("settle", ["complete", "cancel"])
def test_a_ticket_closes_once_every_commitment_is_kept_or_cancelled(org: Org, settle: str) -> None:
    ticket, commitment = _solved(org)
    assert commitment is not None
    services.change_status(ticket, status=TicketStatus.OPEN, actor=org.agent)
    if settle == "complete":
        services.complete_commitment(commitment, actor=org.agent)
    else:
        services.cancel_commitment(commitment, reason="客户改为自行处理", actor=org.agent)
    services.change_status(ticket, status=TicketStatus.SOLVED, actor=org.agent)

    closed = services.change_status(
        ticket, status=TicketStatus.CLOSED, actor=org.agent, close_reason="客户电话确认已解决"
    )

    assert closed.status == TicketStatus.CLOSED


@pytest.mark.django_db
@pytest.mark.parametrize("reason", ["", "   ", "\u202e"])
def test_cancelling_a_commitment_needs_a_reason(org: Org, reason: str) -> None:
    _ticket, commitment = _solved(org)
    assert commitment is not None
    before = db_state()

    with pytest.raises(ValidationFailed):
        services.cancel_commitment(commitment, reason=reason, actor=org.agent)

    assert db_state() == before


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/tickets/{n}/messages", {"kind": "note", "body": "补充"}),
        ("POST", "/api/v1/tickets/{n}/messages", {"kind": "reply", "body": "您好"}),
        ("POST", "/api/v1/tickets/{n}/messages", {"kind": "customer", "body": "在吗"}),
        ("PATCH", "/api/v1/tickets/{n}", {"priority": "urgent"}),
        ("PATCH", "/api/v1/tickets/{n}", {"solution": "已退款"}),
        ("POST", "/api/v1/tickets/{n}/commitments", {"description": "回电", "due_at": "{due}"}),
        ("POST", "/api/v1/tickets/{n}/commitments/{c}/complete", None),
        ("POST", "/api/v1/tickets/{n}/commitments/{c}/cancel", {"reason": "不需要了"}),
    ],
)
def test_a_closed_ticket_refuses_every_change_with_409(
    org: Org, method: str, path: str, body: Any
) -> None:
    ticket, commitment = _solved(org)
    assert commitment is not None
    other = services.add_commitment(ticket, description="另一个", due_at=_later(), actor=org.agent)
    services.complete_commitment(commitment, actor=org.agent)
    services.cancel_commitment(other, reason="合并处理", actor=org.agent)
    services.change_status(
        ticket, status=TicketStatus.CLOSED, actor=org.agent, close_reason="客户电话确认已解决"
    )
    open_one = Commitment.objects.create(
        ticket=ticket, description="遗留", due_at=_later(), created_at=timezone.now()
    )
    if isinstance(body, dict) and body.get("due_at") == "{due}":
        body = {**body, "due_at": _later().isoformat()}
    before = db_state()

    response = org.client("zhangwei").request(
        method, path.format(n=ticket.pk, c=open_one.pk), json=body
    )

    assert response.status_code == 409, response.text
    assert response.json()["code"] == "ticket_closed"
    assert db_state() == before


# --- Due times -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("due_at", "code"),
    [
        ("9999-12-31T23:00:00-05:00", "out_of_range"),
        ("9999-12-31T23:59:59+14:00", "out_of_range"),
        ("2101-01-02T00:00:00+08:00", "out_of_range"),
        ("1999-12-31T23:00:00+08:00", "out_of_range"),
        ("0001-01-01T00:00:00+00:00", "out_of_range"),
        ("2020-01-01T10:00:00+08:00", "due_in_the_past"),
        ("2030-01-01T10:00:00", "naive_datetime"),
    ],
)
def test_a_commitment_due_time_outside_the_window_or_past_is_refused(
    org: Org, due_at: str, code: str
) -> None:
    ticket = make_ticket(team=org.presales)
    before = db_state()

    response = org.client("zhangwei").post(
        f"/api/v1/tickets/{ticket.pk}/commitments",
        json={"description": "回电", "due_at": due_at},
    )

    assert response.status_code == 422, response.text
    assert response.json()["code"] == code
    assert db_state() == before
    assert org.client("zhangwei").get(f"/api/v1/tickets/{ticket.pk}/messages").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("due_at", ["9999-12-31T23:59", "1900-01-01T10:00", "2020-01-01T10:00"])
def test_the_commitment_form_refuses_a_due_time_out_of_range(org: Org, due_at: str) -> None:
    ticket = make_ticket(team=org.presales)
    client = Client()
    client.force_login(org.agent)
    before = db_state()

    response = client.post(
        f"/tickets/{ticket.pk}/commitments/", {"description": "回电", "due_at": due_at}
    )

    assert response.status_code in (302, 422)
    assert db_state() == before
    assert client.get(f"/tickets/{ticket.pk}/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "2101-01-01"])
def test_an_inbox_date_filter_at_the_edge_of_the_calendar_is_a_4xx(org: Org, day: str) -> None:
    client = Client()
    client.force_login(org.agent)

    statuses = [client.get("/", {name: day}).status_code for name in ("created_from", "created_to")]

    assert statuses == [422, 422]


@pytest.mark.django_db
def test_the_repair_migration_moves_due_times_into_the_window(org: Org) -> None:
    ticket = make_ticket(team=org.presales)
    early = services.add_commitment(ticket, description="早", due_at=_later(), actor=org.agent)
    late = services.add_commitment(ticket, description="晚", due_at=_later(), actor=org.agent)
    Commitment.objects.filter(pk=early.pk).update(due_at=datetime(1970, 1, 1, tzinfo=UTC))
    Commitment.objects.filter(pk=late.pk).update(due_at=datetime(9999, 12, 30, tzinfo=UTC))

    repair.repair_due_times(apps, None)

    assert Commitment.objects.get(pk=early.pk).due_at == repair.EARLIEST
    assert Commitment.objects.get(pk=late.pk).due_at == repair.LATEST


@pytest.mark.django_db
def test_a_poisoned_due_time_in_an_old_event_does_not_break_the_ticket_page(org: Org) -> None:
    ticket = make_ticket(team=org.presales)
    services.add_commitment(ticket, description="回电", due_at=_later(), actor=org.agent)
    event = Event.objects.get(verb="ticket.commitment_added")
    event.data = {**event.data, "due_at": "9999-12-31T23:00:00-05:00"}
    event.save(update_fields=["data"])
    client = Client()
    client.force_login(org.agent)

    page = client.get(f"/tickets/{ticket.pk}/")
    export = client.get(f"/tickets/{ticket.pk}/record.csv")

    assert page.status_code == export.status_code == 200


# --- Text direction controls ----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "control",
    ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"],
)
def test_direction_controls_are_removed_from_subjects_names_and_bodies(
    org: Org, control: str
) -> None:
    ticket = make_ticket(
        subject=f"发票{control}fdp.exe",
        body=f"附件{control}gpj.exe 请查收",
        name=f"王{control}芳",
        team=org.presales,
    )
    services.update_ticket(
        ticket, services.TicketChanges(subject=f"新{control}标题"), actor=org.agent
    )
    services.add_internal_note(ticket, body=f"备注{control}", actor=org.agent)

    stored = Ticket.objects.get(pk=ticket.pk)
    assert stored.subject == "新标题"
    assert stored.customer.name == "王芳"
    assert [m.body for m in stored.messages.order_by("id")] == ["附件gpj.exe 请查收", "备注"]


@pytest.mark.django_db
def test_the_migrations_remove_direction_controls_from_stored_rows(org: Org) -> None:
    tickets_fix = importlib.import_module(
        "bihuan.tickets.migrations.0005_neutralise_direction_controls"
    )
    customers_fix = importlib.import_module(
        "bihuan.customers.migrations.0002_neutralise_direction_controls"
    )
    ticket = make_ticket(team=org.presales, name="王芳")
    Ticket.objects.filter(pk=ticket.pk).update(subject="发票\u202efdp.exe\u2066")
    ticket.messages.update(body="附件\u202bgpj.exe")
    Customer.objects.filter(pk=ticket.customer_id).update(name="王\u2067芳")

    tickets_fix.neutralise(apps, None)
    customers_fix.neutralise(apps, None)

    assert Ticket.objects.get(pk=ticket.pk).subject == "发票fdp.exe"
    assert ticket.messages.get().body == "附件gpj.exe"
    assert Customer.objects.get(pk=ticket.customer_id).name == "王芳"


@pytest.mark.django_db(transaction=True)
def test_a_patch_that_moves_the_ticket_out_of_the_callers_scope_answers_the_change(
    org: Org,
) -> None:
    ticket = make_ticket(team=org.presales)

    response = org.client("zhangwei").patch(
        f"/api/v1/tickets/{ticket.pk}", json={"team_id": org.complaints.pk}
    )

    assert response.status_code == 200, response.text
    assert response.json()["team"]["id"] == org.complaints.pk
    assert org.client("zhangwei").get(f"/api/v1/tickets/{ticket.pk}").status_code == 404
