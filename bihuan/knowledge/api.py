"""The knowledge REST API: search and read articles, list reply templates (read only)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router
from ninja.params.functions import Path

from bihuan.accounts.api_auth import current_user
from bihuan.core.api_errors import error_responses
from bihuan.knowledge import queries
from bihuan.knowledge.schemas import (
    ArticleDetailOut,
    ArticleOut,
    ArticleSearch,
    TemplateOut,
    article_detail_out,
    article_out,
    template_out,
)

router = Router(tags=["knowledge"])


@router.get(
    "/knowledge/articles",
    response={200: list[ArticleOut], **error_responses(400, 401, 422)},
    summary="Published articles matching the words (ranked), or the latest published",
)
def search_articles(request: HttpRequest, params: Query[ArticleSearch]) -> Any:
    user = current_user(request)
    if params.q.strip():
        rows = queries.search_articles(
            user, params.q, language=params.language, audience=params.audience
        )
    else:
        filters = queries.ArticleFilter(language=params.language, audience=params.audience)
        rows = queries.list_articles(user, filters).items
    return [article_out(a) for a in rows]


@router.get(
    "/knowledge/articles/{article_id}",
    response={200: ArticleDetailOut, **error_responses(400, 401, 404, 422)},
    summary="One article with its Markdown and sanitised HTML",
)
def get_article(request: HttpRequest, article_id: int = Path(..., ge=1, le=2**62)) -> Any:
    user = current_user(request)
    article = queries.get_article(user, article_id)
    return article_detail_out(article, [a.pk for a in queries.translations(user, article)])


@router.get(
    "/knowledge/templates",
    response={200: list[TemplateOut], **error_responses(401)},
    summary="The reply templates the caller may use (shared and their own)",
)
def list_templates(request: HttpRequest) -> Any:
    return [template_out(t) for t in queries.list_templates(current_user(request))]
