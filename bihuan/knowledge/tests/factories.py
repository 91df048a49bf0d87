"""Knowledge test data, made through the real services (so versions and events exist)."""

from __future__ import annotations

from typing import Any

from bihuan.accounts.models import User
from bihuan.knowledge import services
from bihuan.knowledge.choices import ArticleStatus
from bihuan.knowledge.models import Article


def make_article(
    author: User,
    *,
    title: str = "退款多久到账",
    body: str = "退款审核通过后，款项 1–3 个工作日内原路退回。",
    publish_by: User | None = None,
    **fields: Any,
) -> Article:
    """A draft by ``author``; published when ``publish_by`` (an editor) is given."""
    article = services.create_article(
        services.ArticleFields(title=title, body=body, **fields), actor=author
    )
    if publish_by is not None:
        article = services.change_article_status(
            article, to=ArticleStatus.PUBLISHED, actor=publish_by
        )
    return article
