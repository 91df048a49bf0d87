"""The SLA in the workspace: countdown badges in the inbox and on the kanban, sorting by the
next breach, the at-risk view, the ticket page's targets and the supervisors' breach board."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bihuan.sla.tests.conftest import Clock, open_ticket
from bihuan.tickets import services as tickets
from bihuan.tickets.models import Ticket

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("policies")]

MONDAY_10 = "2026-03-02T10:00+08:00"


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _queries(client: Client, path: str) -> tuple[int, str]:
    client.get(path)  # warm the per-viewer caches (view counts)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured), response.content.decode()


def complaints(org: Any, clock: Clock, count: int) -> list[Ticket]:
    """``count`` owned complaints opened at Monday 10:00, their reactions handled."""
    clock.travel(MONDAY_10)
    made = []
    for index in range(count):
        ticket = open_ticket("complaint", team=org.complaints, subject=f"投诉 {index}")
        tickets.update_ticket(ticket, tickets.TicketChanges(owner=org.agent), actor=org.admin)
        made.append(ticket)
    clock.run()
    return made


def test_the_inbox_shows_a_countdown_badge_coloured_by_state(org: Any, clock: Clock) -> None:
    complaints(org, clock, 1)
    clock.run("2026-03-02T10:50+08:00")

    _count, html = _queries(signed_in(org.agent), "/?view=open&sort=sla")

    assert 'class="sla-badge sla-warning"' in html
    assert "10分钟" in html  # the interface's default language is zh-hans


def test_the_inbox_costs_the_same_queries_for_one_and_fifty_rows(org: Any, clock: Clock) -> None:
    complaints(org, clock, 1)
    client = signed_in(org.supervisor)
    one, _html = _queries(client, "/?view=open&sort=sla")
    kanban_one, _html = _queries(client, "/kanban/")

    complaints(org, clock, 49)
    fifty, html = _queries(client, "/?view=open&sort=sla")
    kanban_fifty, _html = _queries(client, "/kanban/")

    assert html.count('data-testid="sla-badge"') == settings.BIHUAN_PAGE_SIZE  # a full page
    assert (one, kanban_one) == (fifty, kanban_fifty)


def test_sorting_by_next_breach_puts_the_most_urgent_first(org: Any, clock: Clock) -> None:
    clock.travel(MONDAY_10)
    inquiry = open_ticket("inquiry", subject="咨询在先")  # due 14:00
    complaint = open_ticket("complaint", subject="投诉在后")  # due 11:00
    suggestion = open_ticket("suggestion", subject="建议")  # due Tuesday 10:00
    clock.run()

    response = signed_in(org.supervisor).get("/?view=open&sort=sla")

    html = response.content.decode()
    positions = [html.index(f'data-number="{t.pk}"') for t in (complaint, inquiry, suggestion)]
    assert positions == sorted(positions)


def test_the_at_risk_view_lists_only_warned_and_breached_tickets(org: Any, clock: Clock) -> None:
    clock.travel(MONDAY_10)
    complaint = open_ticket("complaint", subject="快超时的投诉")
    calm = open_ticket("suggestion", subject="不急的建议")
    clock.run("2026-03-02T10:46+08:00")

    html = signed_in(org.supervisor).get("/?view=at_risk").content.decode()

    assert f'data-number="{complaint.pk}"' in html
    assert f'data-number="{calm.pk}"' not in html


def test_the_ticket_page_shows_each_target_with_its_due_time(org: Any, clock: Clock) -> None:
    [ticket] = complaints(org, clock, 1)

    html = signed_in(org.agent).get(f"/tickets/{ticket.pk}/").content.decode()

    assert 'data-testid="sla-targets"' in html
    assert html.count('data-testid="sla-target"') == 2
    assert "2026-03-02 11:00" in html  # first response due
    assert "2026-03-05 10:00" in html  # resolution due


def test_the_breach_board_lists_missed_targets_with_who_was_told(org: Any, clock: Clock) -> None:
    org.complaints.supervisor = org.supervisor
    org.complaints.save(update_fields=["supervisor"])
    made = complaints(org, clock, 2)
    clock.run("2026-03-02T11:00+08:00")
    clock.run("2026-03-02T11:30+08:00")
    tickets.reply_to_customer(made[1], body="抱歉久等。", actor=org.agent)
    clock.run()

    _count, html = _queries(signed_in(org.supervisor), "/sla/breaches/")

    assert html.count('data-testid="breach-row"') == 1
    assert f'data-number="{made[0].pk}"' in html
    assert "队列主管" in html


def test_agents_do_not_see_the_breach_board(org: Any) -> None:
    response = signed_in(org.agent).get("/sla/breaches/")

    assert response.status_code == 404


def test_the_breach_board_costs_the_same_queries_for_one_and_ten_breaches(
    org: Any, clock: Clock
) -> None:
    org.complaints.supervisor = org.supervisor
    org.complaints.save(update_fields=["supervisor"])
    complaints(org, clock, 1)
    clock.run("2026-03-02T11:00+08:00")
    client = signed_in(org.supervisor)
    one, _html = _queries(client, "/sla/breaches/")

    complaints(org, clock, 9)
    clock.run("2026-03-02T11:00+08:00")
    ten, html = _queries(client, "/sla/breaches/")

    assert html.count('data-testid="breach-row"') == 10
    assert one == ten
