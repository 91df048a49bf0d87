"""Merging a duplicate request into another ticket and linking related tickets (issue 12):
messages, commitments and tasks go to the survivor, the duplicate closes pointing at it,
both timelines say so; a bad merge changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bihuan.core.errors import Conflict, ValidationFailed
from bihuan.core.models import Event
from bihuan.testing.factories import make_ticket
from bihuan.tickets import collaboration, merging, queries, services
from bihuan.tickets.choices import TicketStatus
from bihuan.tickets.models import Ticket, TicketLink
from conftest import Org
from tests.security.state import db_state

pytestmark = pytest.mark.django_db


def pair(org: Org) -> tuple[Ticket, Ticket]:
    survivor = make_ticket(team=org.presales, phone="13800138000", subject="订单没发货")
    duplicate = make_ticket(
        team=org.presales, phone="13800138000", subject="订单怎么还没发", body="再问一次"
    )
    return survivor, duplicate


def test_merging_moves_messages_commitments_and_tasks_and_closes_the_duplicate(
    org: Org,
) -> None:
    survivor, duplicate = pair(org)
    commitment = services.add_commitment(
        duplicate,
        description="明天告知物流单号",
        due_at=timezone.now() + timedelta(days=1),
        actor=org.agent,
    )
    task = collaboration.open_task(
        duplicate, department=org.tech, description="查仓库系统", actor=org.agent
    )

    merging.merge_ticket(duplicate, into=survivor, actor=org.agent)

    duplicate.refresh_from_db()
    survivor.refresh_from_db()
    commitment.refresh_from_db()
    task.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into_id) == (TicketStatus.CLOSED, survivor.pk)
    assert (commitment.ticket_id, task.ticket_id) == (survivor.pk, survivor.pk)
    assert survivor.status == TicketStatus.PENDING_COLLABORATION  # its task is open
    assert sorted(survivor.messages.values_list("body", flat=True)) == sorted(
        ["我上周下的订单到现在还没发货，请帮忙查一下。", "再问一次"]
    )
    assert survivor.message_count == 2
    timeline = queries.timeline_page(survivor, limit=50)
    assert [e.message.body for e in timeline.entries if e.message is not None] == [
        "我上周下的订单到现在还没发货，请帮忙查一下。",
        "再问一次",
    ]
    assert Event.objects.get(verb="ticket.merged").data["other"] == duplicate.pk
    assert Event.objects.get(verb="ticket.merged_into").data["other"] == survivor.pk


@pytest.mark.parametrize("case", ["itself", "other_customer", "closed_survivor"])
def test_a_bad_merge_changes_nothing(org: Org, case: str) -> None:
    survivor, duplicate = pair(org)
    if case == "itself":
        survivor = duplicate
    elif case == "other_customer":
        survivor = make_ticket(team=org.presales, phone="13900139000", name="李雷")
    else:
        services.change_status(survivor, status=TicketStatus.SOLVED, actor=org.agent)
    before = db_state()

    with pytest.raises((ValidationFailed, Conflict)):
        merging.merge_ticket(duplicate, into=survivor, actor=org.agent)

    assert db_state() == before


def test_linking_records_the_link_once_on_both_tickets(org: Org) -> None:
    first, second = pair(org)

    merging.link_tickets(second, other=first, actor=org.agent)
    with pytest.raises(Conflict):
        merging.link_tickets(first, other=second, actor=org.agent)

    assert list(TicketLink.objects.values_list("ticket_id", "other_id")) == [(first.pk, second.pk)]
    assert queries.linked_numbers(first) == [second.pk]
    assert queries.linked_numbers(second) == [first.pk]
    linked_on = Event.objects.filter(verb="ticket.linked").values_list("ticket_id", flat=True)
    assert sorted(pk or 0 for pk in linked_on) == [first.pk, second.pk]


def test_the_page_merges_into_a_visible_ticket_only(org: Org) -> None:
    survivor, duplicate = pair(org)
    hidden = make_ticket(team=org.complaints, phone="13800138000")
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(org.agent)
    before = db_state()

    refused = client.post(
        reverse("tickets:merge", args=[duplicate.pk]),
        {"other": hidden.pk},
        headers={"Accept": "application/json"},
    )
    assert (refused.status_code, refused.json()["code"]) == (422, "unknown_reference")
    assert db_state() == before
    merged = client.post(reverse("tickets:merge", args=[duplicate.pk]), {"other": survivor.pk})
    page = client.get(reverse("tickets:detail", args=[duplicate.pk]))

    assert merged.status_code == 302
    assert merged["Location"].startswith(reverse("tickets:detail", args=[survivor.pk]))
    assert 'data-testid="merged-into"' in page.content.decode()
