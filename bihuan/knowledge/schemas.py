"""The knowledge API's shapes."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Schema
from pydantic import Field

from bihuan.knowledge.markdown import plain_text, render_markdown
from bihuan.knowledge.models import Article, ReplyTemplate


class ArticleSearch(Schema):
    q: str = Field("", max_length=200, description="Words in Chinese or English")
    language: str = Field("", pattern="^(|zh|en)$")
    audience: str = Field("", pattern="^(|public|internal)$")


class ArticleOut(Schema):
    id: int
    title: str
    language: str
    audience: str
    status: str
    category: str | None
    tags: list[str]
    snippet: str
    updated_at: datetime


class ArticleDetailOut(ArticleOut):
    body: str = Field(description="Markdown, as written")
    body_html: str = Field(description="Sanitised HTML")
    answer: str
    version: int
    review_by: date | None
    translations: list[int]
    view_count: int
    insert_count: int
    helpful_count: int
    unhelpful_count: int


class TemplateOut(Schema):
    id: int
    title: str
    scenario: str
    language: str
    body: str
    shared: bool
    use_count: int


def article_out(article: Article) -> ArticleOut:
    return ArticleOut(
        id=article.pk,
        title=article.title,
        language=article.language,
        audience=article.audience,
        status=article.status,
        category=article.category.name if article.category else None,
        tags=[t.name for t in article.tags.all()],
        snippet=plain_text(article.answer or article.body)[:160],
        updated_at=article.updated_at,
    )


def article_detail_out(article: Article, translations: list[int]) -> ArticleDetailOut:
    return ArticleDetailOut(
        **article_out(article).model_dump(),
        body=article.body,
        body_html=render_markdown(article.body),
        answer=article.answer,
        version=article.version_number,
        review_by=article.review_by,
        translations=translations,
        view_count=article.view_count,
        insert_count=article.insert_count,
        helpful_count=article.helpful_count,
        unhelpful_count=article.unhelpful_count,
    )


def template_out(template: ReplyTemplate) -> TemplateOut:
    return TemplateOut(
        id=template.pk,
        title=template.title,
        scenario=template.scenario,
        language=template.language,
        body=template.body,
        shared=template.is_shared,
        use_count=template.use_count,
    )
