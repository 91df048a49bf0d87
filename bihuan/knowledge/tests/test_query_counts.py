"""Every knowledge list page costs the same number of queries with 1 row and with 50."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bihuan.core.models import Tag
from bihuan.knowledge import services
from bihuan.knowledge.models import Article
from bihuan.knowledge.tests.factories import make_article

pytestmark = pytest.mark.django_db


def _count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _article(org: Any, n: int) -> Any:
    return make_article(
        org.agent, title=f"退款规则{n}", body=f"第{n}版", tags=["退款", f"t{n}"],
        publish_by=org.supervisor,
    )  # fmt: skip


def _template(org: Any, n: int) -> Any:
    return services.create_template(
        services.TemplateFields(
            title=f"问候{n}", body="您好 {{ customer.name }}", shared=n % 2 == 0
        ),
        actor=org.supervisor,
    )


def _macro(org: Any, n: int) -> Any:
    template = _template(org, 2 * n)
    return services.save_macro(
        services.MacroFields(title=f"宏{n}", template=template, add_tags="a b"),
        actor=org.supervisor,
    )


def _version(org: Any, n: int) -> Any:
    article = Article.objects.filter(title="历史").first() or make_article(
        org.agent, title="历史", body="v1"
    )
    fields = services.ArticleFields(title="历史", body=f"v{n + 2}")
    return services.update_article(article, fields, actor=org.agent)


@pytest.mark.parametrize(
    ("url", "make", "viewer"),
    [
        ("/knowledge/review/", "stale", "supervisor"),
        ("/knowledge/templates/", "template", "supervisor"),
        ("/knowledge/macros/", "macro", "supervisor"),
        ("/knowledge/synonyms/", "synonym", "supervisor"),
        ("/knowledge/categories/", "category", "supervisor"),
    ],
)
def test_a_list_page_costs_the_same_with_one_and_fifty_rows(
    org: Any, client: Client, url: str, make: str, viewer: str
) -> None:
    makers: dict[str, Callable[[int], Any]] = {
        "stale": lambda n: services.flag_policy_change(
            title=f"变更{n}", tag=Tag.objects.get(name=f"t{n}"), actor=org.supervisor
        ) if _article(org, n) else None,
        "template": lambda n: _template(org, n),
        "macro": lambda n: _macro(org, n),
        "synonym": lambda n: services.create_synonym(terms=f"词{n} 同{n}", actor=org.admin),
        "category": lambda n: services.create_category(
            name=f"子类{n}", parent=services.create_category(name=f"类{n}", actor=org.admin),
            actor=org.admin,
        ),
    }  # fmt: skip
    client.force_login(getattr(org, viewer))
    makers[make](0)
    one = _count(client, url)
    for n in range(1, 50):
        makers[make](n)

    fifty = _count(client, url)

    assert fifty == one


def test_the_history_page_costs_the_same_with_one_and_fifty_versions(
    org: Any, client: Client
) -> None:
    client.force_login(org.agent)
    article = _version(org, 0)
    one = _count(client, f"/knowledge/articles/{article.pk}/versions/")
    for n in range(1, 50):
        _version(org, n)

    fifty = _count(client, f"/knowledge/articles/{article.pk}/versions/")

    assert fifty == one
