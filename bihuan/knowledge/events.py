"""The knowledge domain's event verbs: how each reads, who is told, where it leads."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bihuan.core.catalogue import Verb, declare
from bihuan.core.models import Event
from bihuan.knowledge.choices import ArticleStatus, HandoverReason, SkipReason
from bihuan.tickets.choices import Channel


def article_link(event: Event) -> str | None:
    if event.subject_type != "knowledge.article":
        return None
    return reverse("knowledge:article", kwargs={"article_id": event.subject_id})


def _status(value: object) -> str:
    try:
        return str(ArticleStatus(str(value)).label)
    except ValueError:
        return "—"


def _status_changed(event: Event) -> str:
    return _("moved the article from %(before)s to %(after)s") % {
        "before": _status(event.get("from")),
        "after": _status(event.get("to")),
    }


def _confidence(event: Event) -> str:
    return _("confidence %(confidence)s (threshold %(threshold)s)") % {
        "confidence": event.get("confidence", ""),
        "threshold": event.get("threshold", ""),
    }


def _skip_reason(value: object) -> str:
    try:
        return str(SkipReason(str(value)).label)
    except ValueError:
        return "—"


def _channel(value: object) -> str:
    try:
        return str(Channel(str(value)).label)
    except ValueError:
        return "—"


def _handed_over(event: Event) -> str:
    if event.get("reason") == HandoverReason.NOT_HELPFUL:
        return _("the customer said the automatic answer did not help: passed to an agent")
    return _("the customer wrote again after the automatic answer: passed to an agent")


declare(
    Verb("knowledge.article_created", describe=lambda e: _("wrote an article"), link=article_link),
    Verb("knowledge.article_updated", describe=lambda e: _("edited an article"), link=article_link),
    Verb("knowledge.article_status_changed", describe=_status_changed, link=article_link),
    Verb(
        "knowledge.article_restored",
        describe=lambda e: _("restored an earlier version of an article"),
        link=article_link,
    ),
    Verb(
        "knowledge.article_reviewed",
        describe=lambda e: _("confirmed an article is current"),
        link=article_link,
    ),
    Verb(
        "knowledge.review_requested",
        describe=lambda e: _("asked for a review of an article within 24 hours"),
        details=lambda e: [str(e.get("policy_change", ""))],
        notification=lambda e: _("A policy changed: review your article within 24 hours"),
        notifies=gettext_lazy("the article's owner"),
        link=article_link,
    ),
    Verb(
        "knowledge.review_overdue",
        describe=lambda e: _("an article's review is overdue"),
        notifies=gettext_lazy("the article's owner and the supervisors"),
        link=article_link,
    ),
    Verb("knowledge.policy_changed", describe=lambda e: _("recorded a policy change")),
    Verb("knowledge.synonym_created", describe=lambda e: _("added search synonyms")),
    Verb("knowledge.synonym_deleted", describe=lambda e: _("removed search synonyms")),
    Verb("knowledge.category_created", describe=lambda e: _("added a knowledge category")),
    Verb("knowledge.template_created", describe=lambda e: _("wrote a reply template")),
    Verb("knowledge.template_updated", describe=lambda e: _("changed a reply template")),
    Verb("knowledge.macro_saved", describe=lambda e: _("saved a macro")),
    Verb(
        "knowledge.macro_applied",
        describe=lambda e: _("applied the macro “%(title)s”") % {"title": e.get("title", "")},
    ),
    Verb(
        "knowledge.auto_answered",
        describe=lambda e: (
            _("answered automatically with the article “%(title)s”") % {"title": e.get("title", "")}
        ),
        details=lambda e: [_confidence(e)],
    ),
    Verb(
        "knowledge.auto_answer_skipped",
        describe=lambda e: (
            _("left the ticket to an agent: %(reason)s") % {"reason": _skip_reason(e.get("reason"))}
        ),
    ),
    Verb(
        "knowledge.auto_answer_handed_over",
        describe=_handed_over,
    ),
    Verb(
        "knowledge.answer_model_trained",
        describe=lambda e: (
            _("trained the answer model on %(count)s labelled questions")
            % {"count": e.get("sample_count", "")}
        ),
    ),
    Verb(
        "knowledge.auto_answers_configured",
        describe=lambda e: (
            _("changed automatic answers for %(channel)s") % {"channel": _channel(e.get("channel"))}
        ),
    ),
)
