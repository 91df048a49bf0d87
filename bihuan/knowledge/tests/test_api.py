"""The knowledge API through the ASGI application: search, read, templates, scope."""

from __future__ import annotations

from typing import Any

import pytest

from bihuan.knowledge import services
from bihuan.knowledge.tests.factories import make_article

pytestmark = pytest.mark.django_db(transaction=True)


def test_search_returns_ranked_published_articles_with_sanitised_html(org: Any) -> None:
    article = make_article(
        org.agent,
        title="退款多久到账",
        body="**1–3** 个工作日 <script>x</script>",
        tags=["退款"],
        publish_by=org.supervisor,
    )
    make_article(org.agent, title="退款草稿", body="草稿")
    client = org.client("lina")

    found = client.get("/api/v1/knowledge/articles", params={"q": "退款"})
    detail = client.get(f"/api/v1/knowledge/articles/{article.pk}")

    assert found.status_code == 200
    assert [(a["title"], a["tags"]) for a in found.json()] == [("退款多久到账", ["退款"])]
    assert (
        detail.json()["body_html"]
        == "<p><strong>1–3</strong> 个工作日 &lt;script&gt;x&lt;/script&gt;</p>\n"
    )


def test_a_colleagues_draft_and_personal_template_are_not_found(org: Any) -> None:
    draft = make_article(org.other_agent, title="草稿", body="草稿")
    services.create_template(
        services.TemplateFields(title="李娜的", body="嗨"), actor=org.other_agent
    )
    client = org.client("zhangwei")

    response = client.get(f"/api/v1/knowledge/articles/{draft.pk}")
    templates = client.get("/api/v1/knowledge/templates")

    assert response.status_code == 404
    assert templates.json() == []
    assert org.client(None).get("/api/v1/knowledge/templates").status_code == 401
