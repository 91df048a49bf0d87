"""The knowledge-base usage rate: per agent, the share of replied tickets where an article or
a template was inserted."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from bihuan.knowledge import queries, services
from bihuan.knowledge.tests.factories import make_article
from bihuan.testing.factories import make_ticket
from bihuan.tickets import services as ticket_services

pytestmark = pytest.mark.django_db


def test_the_usage_rate_counts_tickets_answered_with_knowledge(org: Any, client: Client) -> None:
    article = make_article(org.agent, publish_by=org.supervisor)
    template = services.create_template(
        services.TemplateFields(title="问候", body="您好", shared=True), actor=org.supervisor
    )
    helped, alone, templated = (make_ticket(team=org.presales) for _ in range(3))
    services.record_article_use(article, kind="insert", actor=org.agent, ticket=helped)
    services.use_template(template, ticket=templated, actor=org.agent)
    for ticket in (helped, alone, templated):
        ticket_services.reply_to_customer(ticket, body="已处理", actor=org.agent)
    ticket_services.reply_to_customer(alone, body="补充", actor=org.agent)

    report = queries.usage_report(org.supervisor)
    client.force_login(org.supervisor)
    page = client.get("/knowledge/usage/")
    client.force_login(org.agent)
    refused = client.get("/knowledge/usage/")

    assert [
        (r.agent, r.tickets_replied, r.tickets_with_knowledge, r.insertions, r.template_uses)
        for r in report.agents
    ] == [(org.agent, 3, 2, 1, 1)]
    assert report.agents[0].rate == pytest.approx(2 / 3)
    assert 'data-testid="usage-rate">67 %' in page.content.decode()
    assert refused.status_code == 404
