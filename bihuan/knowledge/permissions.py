"""Who may read and change knowledge.

Every active staff member reads published articles and writes drafts of their own; editors
(supervisors and admins) see every article, publish, archive, flag policy changes and manage
synonyms and shared templates. A draft is visible to its owner and the editors only, so an
article outside the viewer's scope is simply not found (404).
"""

from __future__ import annotations

from django.db.models import Q

from bihuan.accounts.models import User
from bihuan.knowledge.choices import ArticleStatus
from bihuan.knowledge.models import Article, ReplyTemplate


def is_editor(user: User) -> bool:
    return user.is_active and user.sees_everything


def article_scope(user: User) -> Q:
    if not user.is_active:
        return Q(pk__in=[])
    if is_editor(user):
        return Q()
    return Q(status=ArticleStatus.PUBLISHED) | Q(owner_id=user.pk)


def can_change_article(user: User, article: Article) -> bool:
    return is_editor(user) or (user.is_active and article.owner_id == user.pk)


def template_scope(user: User) -> Q:
    """Shared templates and the user's own personal ones."""
    if not user.is_active:
        return Q(pk__in=[])
    return Q(owner__isnull=True) | Q(owner_id=user.pk)


def can_change_template(user: User, template: ReplyTemplate) -> bool:
    if template.owner_id is None:
        return is_editor(user)
    return user.is_active and template.owner_id == user.pk
