"""The counts beside the inbox views: one aggregate that agrees with every view's own list."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from bihuan.testing.factories import make_ticket
from bihuan.tickets.choices import TicketStatus
from bihuan.tickets.models import Ticket
from bihuan.tickets.queries import VIEWS, TicketFilters, count_views, filtered_tickets

pytestmark = pytest.mark.django_db


def _varied_tickets(org: Any) -> None:
    """Tickets in every status, owned or not, in both teams, shared, followed."""
    owners = [None, org.agent, org.other_agent, org.supervisor]
    teams = [org.presales, org.complaints, None]
    statuses = list(TicketStatus.values)
    for index, (status, owner, team) in enumerate(
        itertools.islice(itertools.product(statuses, owners, teams), 0, None, 2)
    ):
        ticket = make_ticket(subject=f"工单 {index}", team=team, phone=f"1380000{index:04d}")
        Ticket.objects.filter(pk=ticket.pk).update(status=status, owner=owner)
        if index % 5 == 0:
            ticket.shared_departments.add(org.tech)
        if index % 7 == 0:
            ticket.followers.add(org.tech_member)


def test_the_counts_equal_the_size_of_each_view_for_every_role(org: Any) -> None:
    _varied_tickets(org)
    viewers = [
        org.admin,
        org.supervisor,
        org.agent,
        org.other_agent,
        org.tech_member,
        org.tech_head,
        org.advisor,
    ]
    for viewer in viewers:
        expected = {
            view: filtered_tickets(viewer, TicketFilters(view=view)).count()
            for view in VIEWS
            if view != "all"
        }
        assert count_views(viewer) == expected, viewer.username
    assert count_views(org.supervisor)["open"] > 0
    assert count_views(org.tech_member)["department"] > 0


def test_the_counts_are_one_query_and_kept_for_a_few_seconds(org: Any) -> None:
    _varied_tickets(org)
    with override_settings(BIHUAN_VIEW_COUNTS_SECONDS=60):
        cache.clear()
        with CaptureQueriesContext(connection) as first:
            before = count_views(org.agent)
        assert len(first) == 1
        make_ticket(subject="新的工单", team=org.presales)
        with CaptureQueriesContext(connection) as second:
            assert count_views(org.agent) == before  # from the cache
        assert len(second) == 0
        cache.clear()
        assert count_views(org.agent)["open"] == before["open"] + 1


def test_the_inbox_shows_a_count_that_reached_the_cap_as_more_than_the_one_below(
    org: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.test import Client

    from bihuan.tickets import queries

    monkeypatch.setattr(queries, "VIEW_COUNT_CAP", 3)
    cache.clear()  # counts another test cached for a user with the same id
    for n in range(4):
        make_ticket(subject=f"工单 {n}", team=org.presales, phone=f"1370000{n:04d}")
    client = Client()
    client.force_login(org.agent)

    page = client.get("/?view=open").content.decode()

    assert 'data-testid="view-count-open">2+</span>' in page  # 4 tickets, counted up to 3
    assert 'data-testid="view-count-mine">0</span>' in page
    assert count_views(org.agent)["open"] == 3
