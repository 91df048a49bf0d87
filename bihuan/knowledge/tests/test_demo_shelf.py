"""The demo's knowledge base: published articles in both languages, linked as translations,
found by their synonyms; the review list and the templates have something to show."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from bihuan.accounts.choices import Role
from bihuan.core.models import DueItem, Event
from bihuan.demo.conversation import Cast
from bihuan.demo.knowledge_setup import ARTICLES, delete_knowledge_setup, set_up_knowledge
from bihuan.demo.material import organisation
from bihuan.knowledge import queries
from bihuan.knowledge.defaults import DEFAULT_TEMPLATES
from bihuan.knowledge.models import Article, Macro, ReplyTemplate, ReviewTask, Synonym
from bihuan.testing.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(db: None) -> Cast:
    names = {row[1] for row in ARTICLES}
    users = {name: make_user(Role.AGENT, username=name) for name in names}
    supervisor = organisation.SUPERVISOR_USERNAME
    users[supervisor] = make_user(Role.SUPERVISOR, username=supervisor)
    return Cast(users=users, departments={}, teams={}, categories={})


def test_the_demo_shelf_is_bilingual_searchable_and_has_work_to_review(cast: Cast) -> None:
    counts = set_up_knowledge(cast)
    again = set_up_knowledge(cast)
    agent: Any = cast.users["zhangwei"]

    assert counts == {"articles": 2 * len(ARTICLES), "reply templates": len(DEFAULT_TEMPLATES)}
    assert again == {"articles": 0, "reply templates": 0}
    assert Article.objects.filter(status="published", language="en").count() == len(ARTICLES)
    assert all(a.group_id for a in Article.objects.all())
    assert [a.title for a in queries.search_articles(agent, "快递没收到")][:1] == [
        "物流显示签收但客户没收到"
    ]
    assert [a.title for a in queries.search_articles(agent, "refun")][:1] == [
        "How long does a refund take"
    ]
    assert Macro.objects.count() == 3
    assert ReviewTask.objects.filter(article__title="七天无理由退货怎么申请").count() == 1
    assert any(r.is_stale for r in queries.review_list(cast.supervisor))

    delete_knowledge_setup([u.pk for u in cast.users.values()])

    assert not Event.objects.filter(verb__startswith="knowledge.").exists()
    assert not DueItem.objects.filter(kind="knowledge.review_overdue").exists()
    assert (Article.objects.count(), ReplyTemplate.objects.count(), Synonym.objects.count()) == (
        0,
        0,
        0,
    )


def test_the_command_loads_the_default_templates_once(org: Any) -> None:
    out = StringIO()

    call_command("knowledge", "defaults", "--as", "supervisor", stdout=out)
    call_command("knowledge", "defaults", "--as", "supervisor", stdout=out)
    with pytest.raises(CommandError):
        call_command("knowledge", "defaults", "--as", "zhangwei", stdout=out)

    assert out.getvalue().splitlines() == [
        f"{len(DEFAULT_TEMPLATES)} reply templates added.",
        "0 reply templates added.",
    ]
    assert ReplyTemplate.objects.filter(owner__isnull=True).count() == len(DEFAULT_TEMPLATES)
