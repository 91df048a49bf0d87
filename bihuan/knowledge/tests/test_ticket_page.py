"""The ticket page: suggested articles for the ticket's text, one click to insert an answer,
reply templates offered after "/", every view, insertion and vote counted."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bihuan.core.errors import ValidationFailed
from bihuan.knowledge import services
from bihuan.knowledge.models import ArticleUse, ReplyTemplate, TemplateUse
from bihuan.knowledge.tests.factories import make_article
from bihuan.testing.factories import make_ticket
from bihuan.tickets import services as ticket_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(org: Any) -> Any:
    return make_ticket(
        subject="包裹没收到", body="物流显示签收了但我没收到包裹", team=org.presales, name="王芳"
    )


@pytest.fixture
def lost_parcel(org: Any) -> Any:
    return make_article(
        org.agent,
        title="包裹显示签收但没收到",
        body="# 处理步骤\n\n1. 核实收货地址\n2. 联系快递员",
        answer="您好，我们已联系快递核实，24 小时内给您答复。",
        publish_by=org.supervisor,
    )


def test_the_panel_suggests_articles_for_the_tickets_text(
    org: Any, ticket: Any, lost_parcel: Any, client: Client
) -> None:
    make_article(org.agent, title="发票怎么开", body="电子发票", publish_by=org.supervisor)
    client.force_login(org.agent)

    response = client.get(f"/knowledge/tickets/{ticket.pk}/panel/")
    searched = client.get(f"/knowledge/tickets/{ticket.pk}/panel/", {"q": "发票"})

    assert response.status_code == 200
    assert "包裹显示签收但没收到" in response.content.decode()
    assert "发票怎么开" not in response.content.decode()
    assert "发票怎么开" in searched.content.decode()


def test_inserting_an_article_returns_its_answer_and_counts_the_insertion(
    org: Any, ticket: Any, lost_parcel: Any, client: Client
) -> None:
    client.force_login(org.agent)

    response = client.post(f"/knowledge/tickets/{ticket.pk}/articles/{lost_parcel.pk}/insert/")

    assert response.json() == {"text": "您好，我们已联系快递核实，24 小时内给您答复。"}
    lost_parcel.refresh_from_db()
    assert lost_parcel.insert_count == 1
    assert list(ArticleUse.objects.values_list("kind", "user", "ticket_id")) == [
        ("insert", org.agent.pk, ticket.pk)
    ]


def test_without_an_answer_the_plain_text_of_the_body_is_inserted(org: Any, ticket: Any) -> None:
    article = make_article(
        org.agent,
        title="步骤",
        body="## 步骤\n\n- **核实**地址\n- 联系[快递](https://x.cn)",
        publish_by=org.supervisor,
    )

    text = services.record_article_use(article, kind="insert", actor=org.agent, ticket=ticket)

    assert text == "步骤\n\n· 核实地址\n· 联系快递"


def test_a_second_vote_replaces_the_first(org: Any, lost_parcel: Any, client: Client) -> None:
    client.force_login(org.other_agent)

    client.post(f"/knowledge/articles/{lost_parcel.pk}/vote/", {"helpful": "yes"})
    client.post(f"/knowledge/articles/{lost_parcel.pk}/vote/", {"helpful": "yes"})
    client.post(f"/knowledge/articles/{lost_parcel.pk}/vote/", {"helpful": "no"})

    lost_parcel.refresh_from_db()
    assert (lost_parcel.helpful_count, lost_parcel.unhelpful_count) == (0, 1)
    assert list(ArticleUse.objects.values_list("kind", flat=True)) == ["unhelpful"]


def test_a_ticket_outside_the_agents_scope_gives_no_panel_and_counts_nothing(
    org: Any, lost_parcel: Any, client: Client
) -> None:
    hidden = make_ticket(team=org.complaints)
    client.force_login(org.agent)

    panel = client.get(f"/knowledge/tickets/{hidden.pk}/panel/")
    insert = client.post(f"/knowledge/tickets/{hidden.pk}/articles/{lost_parcel.pk}/insert/")

    assert (panel.status_code, insert.status_code) == (404, 404)
    assert ArticleUse.objects.count() == 0


def test_the_ticket_page_loads_the_panel_by_url_and_offers_templates_in_the_composer(
    org: Any, ticket: Any, client: Client
) -> None:
    client.force_login(org.agent)

    html = client.get(f"/tickets/{ticket.pk}/").content.decode()

    assert f'hx-get="/knowledge/tickets/{ticket.pk}/panel/"' in html
    assert f'data-templates-url="/knowledge/tickets/{ticket.pk}/templates/"' in html


def test_typing_a_slash_lists_shared_and_own_templates_but_not_a_colleagues(
    org: Any, ticket: Any, client: Client
) -> None:
    services.create_template(
        services.TemplateFields(title="问候", body="您好 {{ customer.name }}", shared=True),
        actor=org.supervisor,
    )
    services.create_template(
        services.TemplateFields(title="我的问候", body="在的"), actor=org.agent
    )
    services.create_template(
        services.TemplateFields(title="李娜的问候", body="嗨"), actor=org.other_agent
    )
    client.force_login(org.agent)

    listed = client.get(f"/knowledge/tickets/{ticket.pk}/templates/", {"q": "问候"}).json()

    assert sorted(t["title"] for t in listed["templates"]) == ["我的问候", "问候"]


def test_inserting_a_template_fills_its_variables_and_counts_the_use(
    org: Any, ticket: Any, client: Client
) -> None:
    ticket_services.add_commitment(
        ticket, description="明天回电", due_at=datetime(2030, 12, 1, 2, tzinfo=UTC), actor=org.agent
    )
    template = services.create_template(
        services.TemplateFields(
            title="进度",
            body="{{ customer.name }}您好，工单 {{ ticket.number }} 由{{ agent.name }}跟进，"
            "{{ commitment.due }} 前回复。{% if x %}",
            shared=True,
        ),
        actor=org.supervisor,
    )
    client.force_login(org.agent)

    response = client.post(f"/knowledge/tickets/{ticket.pk}/templates/{template.pk}/insert/")

    assert response.json() == {
        "text": f"王芳您好，工单 {ticket.pk} 由张伟跟进，2030-12-01 10:00 前回复。{{% if x %}}"
    }
    template.refresh_from_db()
    assert template.use_count == 1
    assert list(TemplateUse.objects.values_list("user", "ticket_id")) == [(org.agent.pk, ticket.pk)]


def test_an_unknown_variable_is_refused_when_the_template_is_saved(org: Any) -> None:
    with pytest.raises(ValidationFailed) as refused:
        services.create_template(
            services.TemplateFields(title="坏", body="{{ settings.SECRET_KEY }}"), actor=org.agent
        )

    assert "settings.SECRET_KEY" in str(refused.value)
    assert ReplyTemplate.objects.count() == 0


def test_the_article_list_costs_the_same_queries_for_one_and_fifty_rows(
    org: Any, client: Client
) -> None:
    client.force_login(org.agent)
    make_article(org.agent, title="文章0", body="内容", tags=["a"], publish_by=org.supervisor)
    with CaptureQueriesContext(connection) as one:
        client.get("/knowledge/")
    for n in range(1, 50):
        make_article(
            org.agent, title=f"文章{n}", body="内容", tags=["a", f"t{n}"], publish_by=org.supervisor
        )

    with CaptureQueriesContext(connection) as fifty:
        response = client.get("/knowledge/")
    with CaptureQueriesContext(connection) as searched:
        client.get("/knowledge/", {"q": "内容"})

    assert response.content.decode().count('data-testid="article-row"') == 50
    assert len(fifty) == len(one)
    assert len(searched) <= len(one) + 2


def test_templates_in_the_tickets_language_come_first(org: Any, client: Client) -> None:
    for title, language in [("问候", "zh"), ("Greeting", "en")]:
        services.create_template(
            services.TemplateFields(title=title, body="hi", language=language, shared=True),
            actor=org.supervisor,
        )
    english = make_ticket(subject="Where is my parcel", body="Not arrived.", team=org.presales)
    chinese = make_ticket(subject="包裹在哪", body="没到", team=org.presales)
    client.force_login(org.agent)

    def titles(ticket: Any) -> list[str]:
        data = client.get(f"/knowledge/tickets/{ticket.pk}/templates/").json()
        return [t["title"] for t in data["templates"]]

    assert titles(english) == ["Greeting", "问候"]
    assert titles(chinese) == ["问候", "Greeting"]
