"""Portal lists cost the same number of queries with one row and with many."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bihuan.knowledge import services as knowledge
from bihuan.portal.tests.conftest import OpenPortal
from bihuan.testing.factories import make_ticket
from bihuan.tickets import services
from bihuan.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def _queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_the_request_list_and_the_timeline_cost_the_same_with_one_row_and_with_many(
    org: Any, customer_ticket: Ticket, open_portal: OpenPortal
) -> None:
    client = open_portal(email="wang.fang@example.cn")
    path = f"/portal/requests/{customer_ticket.pk}/"
    one = (_queries(client, "/portal/requests/"), _queries(client, path))

    for i in range(15):
        make_ticket(subject=f"问题 {i}", email="wang.fang@example.cn")
        services.reply_to_customer(customer_ticket, body=f"回复 {i}", actor=org.agent)
        services.add_customer_message(customer_ticket, body=f"追问 {i}")
    many = (_queries(client, "/portal/requests/"), _queries(client, path))

    assert many == one


def test_the_help_list_costs_the_same_with_one_article_and_with_many(org: Any) -> None:
    def publish(title: str) -> None:
        article = knowledge.create_article(
            knowledge.ArticleFields(title=title, body="正文", audience="public"), actor=org.admin
        )
        knowledge.change_article_status(article, to="published", actor=org.admin)

    publish("第一篇")
    client = Client()
    one = _queries(client, "/portal/help/")

    for i in range(15):
        publish(f"文章 {i}")
    many = _queries(client, "/portal/help/")

    assert many == one
