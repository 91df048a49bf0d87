"""Articles: drafts, versions with restore, the status cycle, translations, sanitised output."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation

from bihuan.core.errors import Conflict, PermissionDenied, ValidationFailed
from bihuan.core.models import Event
from bihuan.knowledge import services
from bihuan.knowledge.choices import ArticleStatus, Language
from bihuan.knowledge.models import Article, ArticleVersion
from bihuan.knowledge.tests.factories import make_article

pytestmark = pytest.mark.django_db


def _fields(article: Article, **changes: Any) -> services.ArticleFields:
    values: dict[str, Any] = {
        "title": article.title,
        "body": article.body,
        "answer": article.answer,
        "language": article.language,
        "audience": article.audience,
        "tags": [t.name for t in article.tags.all()],
    }
    values.update(changes)
    return services.ArticleFields(**values)


def test_a_new_article_is_a_draft_with_its_first_version_and_an_event(org: Any) -> None:
    article = make_article(org.agent, tags=["退款", "售后"])

    assert article.status == ArticleStatus.DRAFT
    assert article.owner == org.agent
    assert list(article.versions.values_list("number", "title")) == [(1, "退款多久到账")]
    assert sorted(article.tags.values_list("name", flat=True)) == ["售后", "退款"]
    assert (
        Event.objects.filter(verb="knowledge.article_created", subject_id=article.pk).count() == 1
    )


def test_an_edit_of_the_text_adds_a_version_and_an_edit_of_tags_alone_does_not(org: Any) -> None:
    article = make_article(org.agent)

    article = services.update_article(
        article, _fields(article, body="改为 3–5 个工作日。", note="时效变了"), actor=org.agent
    )
    article = services.update_article(article, _fields(article, tags=["退款"]), actor=org.agent)

    assert article.version_number == 2
    assert list(article.versions.values_list("number", "body", "note")) == [
        (2, "改为 3–5 个工作日。", "时效变了"),
        (1, "退款审核通过后，款项 1–3 个工作日内原路退回。", ""),
    ]


def test_an_edit_from_an_old_version_is_refused_and_changes_nothing(org: Any) -> None:
    article = make_article(org.agent)
    services.update_article(article, _fields(article, body="新内容"), actor=org.supervisor)
    events = Event.objects.count()

    with pytest.raises(Conflict):
        services.update_article(
            article, _fields(article, body="我的改动"), actor=org.agent, expected_version=1
        )

    article.refresh_from_db()
    assert article.body == "新内容"
    assert ArticleVersion.objects.filter(article=article).count() == 2
    assert Event.objects.count() == events


def test_restoring_a_version_makes_its_text_current_as_a_new_version(org: Any) -> None:
    article = make_article(org.agent)
    services.update_article(
        article, _fields(article, title="错误的标题", body="错"), actor=org.agent
    )
    first = ArticleVersion.objects.get(article=article, number=1)

    with translation.override("en"):
        article = services.restore_version(article, version=first, actor=org.agent)

    assert (article.version_number, article.title, article.body) == (3, first.title, first.body)
    assert article.versions.get(number=3).note == "Restored version 1"


def test_an_agent_submits_for_review_and_only_an_editor_publishes(org: Any) -> None:
    article = make_article(org.agent)

    article = services.change_article_status(article, to=ArticleStatus.IN_REVIEW, actor=org.agent)
    with pytest.raises(PermissionDenied):
        services.change_article_status(article, to=ArticleStatus.PUBLISHED, actor=org.agent)
    article.refresh_from_db()
    assert article.status == ArticleStatus.IN_REVIEW
    article = services.change_article_status(
        article, to=ArticleStatus.PUBLISHED, actor=org.supervisor
    )

    assert article.status == ArticleStatus.PUBLISHED
    assert article.review_by == timezone.localdate() + timedelta(days=180)
    with pytest.raises(Conflict):
        services.change_article_status(article, to=ArticleStatus.IN_REVIEW, actor=org.supervisor)


def test_a_translation_joins_the_group_and_a_second_one_in_the_same_language_is_refused(
    org: Any,
) -> None:
    original = make_article(org.agent)

    english = services.create_article(
        services.ArticleFields(
            title="How long does a refund take", body="1–3 working days.", language=Language.EN
        ),
        actor=org.agent,
        translation_of=original,
    )
    with pytest.raises(Conflict):
        services.create_article(
            services.ArticleFields(title="Again", body="x", language=Language.EN),
            actor=org.agent,
            translation_of=original,
        )

    original.refresh_from_db()
    assert original.group_id == english.group_id == original.pk
    assert Article.objects.count() == 2
    with pytest.raises(Conflict):
        services.update_article(english, _fields(english, language=Language.ZH), actor=org.agent)
    english.refresh_from_db()
    assert english.language == Language.EN


def test_an_empty_title_is_refused_before_anything_is_written(org: Any) -> None:
    with pytest.raises(ValidationFailed):
        make_article(org.agent, title="  ")

    assert Article.objects.count() == 0
    assert Event.objects.filter(verb__startswith="knowledge.").count() == 0


def test_the_article_page_shows_sanitised_markdown_and_counts_the_view(
    org: Any, client: Client
) -> None:
    article = make_article(
        org.agent,
        body="# 标题\n\n**加粗** <script>alert(1)</script> [点我](javascript:alert(1))\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |",
        publish_by=org.supervisor,
    )
    client.force_login(org.other_agent)

    response = client.get(f"/knowledge/articles/{article.pk}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>标题</h1>" in html
    assert "<strong>加粗</strong>" in html
    assert "<script>alert" not in html
    assert 'href="javascript' not in html
    assert "<td>1</td>" in html
    article.refresh_from_db()
    assert article.view_count == 1


def test_a_draft_is_not_found_by_another_agent_but_seen_by_a_supervisor(
    org: Any, client: Client
) -> None:
    article = make_article(org.agent)

    client.force_login(org.other_agent)
    hidden = client.get(f"/knowledge/articles/{article.pk}/")
    client.force_login(org.supervisor)
    shown = client.get(f"/knowledge/articles/{article.pk}/")

    assert hidden.status_code == 404
    assert shown.status_code == 200


def test_writing_editing_and_publishing_through_the_pages(org: Any, client: Client) -> None:
    client.force_login(org.agent)

    created = client.post(
        "/knowledge/new/",
        {"title": "发票怎么开", "body": "在订单详情页申请电子发票。", "language": "zh",
         "audience": "public", "tags": "发票 财务"},
    )  # fmt: skip
    article = Article.objects.get()
    edited = client.post(
        f"/knowledge/articles/{article.pk}/edit/",
        {"title": "发票怎么开", "body": "在订单详情页点击“申请发票”。", "language": "zh",
         "audience": "public", "tags": "发票", "version": "1", "note": "按钮改名"},
    )  # fmt: skip
    submitted = client.post(f"/knowledge/articles/{article.pk}/status/", {"status": "in_review"})
    client.force_login(org.supervisor)
    published = client.post(f"/knowledge/articles/{article.pk}/status/", {"status": "published"})
    history = client.get(f"/knowledge/articles/{article.pk}/versions/")
    diff = client.get(
        f"/knowledge/articles/{article.pk}/versions/{article.versions.get(number=2).pk}/"
    )

    assert [created.status_code, edited.status_code, submitted.status_code] == [302, 302, 302]
    assert published.status_code == 302
    article.refresh_from_db()
    assert (article.status, article.version_number) == (ArticleStatus.PUBLISHED, 2)
    assert "按钮改名" in history.content.decode()
    body = diff.content.decode()
    assert '<span class="diff-del">- 在订单详情页申请电子发票。</span>' in body
    assert '<span class="diff-add">+ 在订单详情页点击“申请发票”。</span>' in body
