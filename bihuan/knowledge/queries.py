"""Read paths of the knowledge base, scoped by the viewer (a draft of someone else is simply
not found), with related rows fetched in a fixed number of queries."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bihuan.accounts.models import User
from bihuan.core.errors import NotFound
from bihuan.core.models import Tag
from bihuan.core.pagination import Page, paginate
from bihuan.knowledge import search
from bihuan.knowledge.choices import ArticleStatus, AutoAnswerOutcome, Language, UseKind
from bihuan.knowledge.models import (
    Article,
    ArticleUse,
    ArticleVersion,
    AutoAnswer,
    AutoAnswerChannel,
    KnowledgeCategory,
    Macro,
    ReplyTemplate,
    ReviewTask,
    SearchWord,
    Synonym,
    TemplateUse,
)
from bihuan.knowledge.permissions import article_scope, is_editor, template_scope
from bihuan.tickets.choices import Channel, MessageKind
from bihuan.tickets.models import Message, Ticket
from bihuan.tickets.permissions import visible_tickets

MAX_ID = 2**62
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
PAGE_SIZE = 50
SUGGESTIONS = 5
# The ticket text a suggestion search reads: the subject and the customer's first words.
SUGGESTION_TEXT = 300
LIVE = (ArticleStatus.PUBLISHED, ArticleStatus.IN_REVIEW)


def _with_related(rows: QuerySet[Article]) -> QuerySet[Article]:
    return rows.select_related("category", "owner").prefetch_related(
        Prefetch("tags", queryset=Tag.objects.order_by("name"))
    )


def visible_articles(viewer: User) -> QuerySet[Article]:
    return Article.objects.filter(article_scope(viewer))


def get_article(viewer: User, article_id: int) -> Article:
    if article_id > MAX_ID:
        raise NotFound(_("Article not found."))
    article = _with_related(visible_articles(viewer)).filter(pk=article_id).first()
    if article is None:
        raise NotFound(_("Article not found."))
    return article


def synonym_table() -> dict[str, tuple[str, ...]]:
    return search.synonym_table([s.term_list for s in Synonym.objects.all()])


def _in_order(ids: list[int], rows: QuerySet[Article]) -> list[Article]:
    by_id = {a.pk: a for a in rows.filter(pk__in=ids)}
    return [by_id[i] for i in ids if i in by_id]


def search_articles(
    viewer: User,
    query: str,
    *,
    language: str = "",
    audience: str = "",
    mode: str = "all",
    limit: int = search.LIMIT,
) -> list[Article]:
    """Published articles matching ``query`` (synonyms and English prefixes), best first."""
    terms = search.parse(query, synonym_table())
    if mode == "any":
        # A ticket's text: single characters (到, 钱, 了) match most articles and rank none.
        terms = [t for t in terms if len(t.words[0]) > 1] or terms

    def ranked(terms: list[search.Term]) -> list[int]:
        return search.ranked_article_ids(
            terms,
            statuses=[ArticleStatus.PUBLISHED],
            mode=mode,
            language=language,
            audience=audience,
            limit=limit,
        )

    ids = ranked(terms)
    if not ids and mode == "all":
        fixed = search.corrected(terms, vocabulary_near)
        if fixed is not None:
            ids = ranked(fixed)
    return _in_order(ids, _with_related(visible_articles(viewer)))


def vocabulary_near(word: str) -> list[str]:
    """Vocabulary words of the same first letter and nearly the same length."""
    return list(
        SearchWord.objects.filter(
            initial=word[0], length__gte=len(word) - 2, length__lte=len(word) + 2
        ).values_list("word", flat=True)[:5000]
    )


@dataclass(frozen=True)
class ArticleFilter:
    status: str = ArticleStatus.PUBLISHED
    category: int | None = None
    tag: str = ""
    language: str = ""
    audience: str = ""
    mine: bool = False


def list_articles(
    viewer: User, filters: ArticleFilter, *, cursor: str | None = None
) -> Page[Article]:
    """Articles by last change, newest first, one page (keyset)."""
    rows = visible_articles(viewer)
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.category:
        rows = rows.filter(category_id=filters.category)
    if filters.tag:
        rows = rows.filter(tags__name=filters.tag)
    if filters.language:
        rows = rows.filter(language=filters.language)
    if filters.audience:
        rows = rows.filter(audience=filters.audience)
    if filters.mine:
        rows = rows.filter(owner=viewer)
    return paginate(
        _with_related(rows), order_field="updated_at", descending=True, limit=PAGE_SIZE,
        cursor=cursor,
    )  # fmt: skip


def list_versions(article: Article) -> list[ArticleVersion]:
    return list(article.versions.select_related("author").order_by("-number"))


def get_version(article: Article, version_id: int) -> ArticleVersion:
    if version_id > MAX_ID:
        raise NotFound(_("Version not found."))
    version = article.versions.select_related("author").filter(pk=version_id).first()
    if version is None:
        raise NotFound(_("Version not found."))
    return version


def previous_version(version: ArticleVersion) -> ArticleVersion | None:
    return (
        ArticleVersion.objects.filter(article_id=version.article_id, number__lt=version.number)
        .order_by("-number")
        .first()
    )


def translations(viewer: User, article: Article) -> list[Article]:
    if article.group_id is None:
        return []
    return list(
        visible_articles(viewer)
        .filter(group_id=article.group_id)
        .exclude(pk=article.pk)
        .order_by("language")
    )


def open_review_task(article: Article) -> ReviewTask | None:
    return (
        ReviewTask.objects.select_related("policy_change")
        .filter(article=article, done_at__isnull=True)
        .first()
    )


def articles_touched_by(*, tag: Tag | None, query: str) -> list[int]:
    """Live (published or in review) articles with ``tag`` or matching ``query``."""
    ids: set[int] = set()
    if tag is not None:
        ids |= set(Article.objects.filter(status__in=LIVE, tags=tag).values_list("pk", flat=True))
    if query:
        terms = search.parse(query, synonym_table())
        ids |= set(search.ranked_article_ids(terms, statuses=list(LIVE), limit=1000))
    return sorted(ids)


@dataclass(frozen=True)
class ReviewRow:
    article: Article
    task: ReviewTask | None
    is_stale: bool


def review_list(viewer: User, *, today: date | None = None) -> list[ReviewRow]:
    """Live articles that are flagged by a policy change or past their review-by date: the
    viewer's own (editors: everyone's), flagged and overdue first."""
    today = today or timezone.localdate()
    flagged = ReviewTask.objects.filter(article_id=OuterRef("pk"), done_at__isnull=True)
    rows = Article.objects.filter(status__in=LIVE).filter(
        Q(Exists(flagged)) | Q(review_by__lt=today)
    )
    if not is_editor(viewer):
        rows = rows.filter(owner=viewer)
    articles = list(
        _with_related(rows).prefetch_related(
            Prefetch(
                "review_tasks",
                queryset=ReviewTask.objects.filter(done_at__isnull=True).select_related(
                    "policy_change"
                ),
                to_attr="open_tasks",
            )
        )[:200]
    )
    result = [
        ReviewRow(
            article=a,
            task=a.open_tasks[0] if a.open_tasks else None,
            is_stale=a.review_by is not None and a.review_by < today,
        )
        for a in articles
    ]
    result.sort(
        key=lambda r: (
            r.task is None,
            not (r.task and r.task.is_overdue),
            r.task.due_at if r.task else timezone.now(),
            r.article.review_by or today,
        )
    )
    return result


def ticket_language(ticket: Ticket) -> str:
    """zh when the subject has a Chinese character, else en."""
    return Language.ZH if _CJK.search(ticket.subject) else Language.EN


def suggestion_query(ticket: Ticket) -> str:
    first = ticket.messages.order_by("id").values_list("body", flat=True).first() or ""
    return f"{ticket.subject} {first[:SUGGESTION_TEXT]}"


def suggestions_for_ticket(viewer: User, ticket: Ticket) -> list[Article]:
    """Published articles for the ticket's text, best first (any of its words)."""
    return search_articles(viewer, suggestion_query(ticket), mode="any", limit=SUGGESTIONS)


def categories() -> list[KnowledgeCategory]:
    return list(
        KnowledgeCategory.objects.select_related("parent").order_by("parent_id", "position", "name")
    )


def get_ticket(viewer: User, number: int) -> Ticket:
    """The ticket, if the viewer may see it (the tickets app decides)."""
    if number > MAX_ID:
        raise NotFound(_("Ticket not found."))
    ticket = visible_tickets(viewer).select_related("customer").filter(pk=number).first()
    if ticket is None:
        raise NotFound(_("Ticket not found."))
    return ticket


def list_templates(viewer: User, *, query: str = "", language: str = "") -> list[ReplyTemplate]:
    """Active templates the viewer may use: shared ones and their own, most used first."""
    rows = ReplyTemplate.objects.filter(template_scope(viewer), is_active=True)
    if language:
        rows = rows.filter(language=language)
    for word in query.split()[:5]:
        rows = rows.filter(Q(title__icontains=word) | Q(body__icontains=word))
    return list(rows.select_related("owner").order_by("-use_count", "title", "id")[:50])


def manageable_templates(viewer: User) -> list[ReplyTemplate]:
    rows = ReplyTemplate.objects.filter(template_scope(viewer))
    return list(rows.select_related("owner").order_by("scenario", "language", "title", "id")[:500])


def get_template(viewer: User, template_id: int) -> ReplyTemplate:
    if template_id > MAX_ID:
        raise NotFound(_("Template not found."))
    template = ReplyTemplate.objects.filter(template_scope(viewer), pk=template_id).first()
    if template is None:
        raise NotFound(_("Template not found."))
    return template


def list_synonyms() -> list[Synonym]:
    return list(Synonym.objects.order_by("terms"))


def get_synonym(viewer: User, synonym_id: int) -> Synonym:
    synonym = Synonym.objects.filter(pk=min(synonym_id, MAX_ID)).first()
    if synonym is None or not is_editor(viewer):
        raise NotFound(_("Not found."))
    return synonym


def list_macros(*, active_only: bool = True) -> list[Macro]:
    rows = Macro.objects.select_related("template", "category")
    if active_only:
        rows = rows.filter(is_active=True)
    return list(rows.order_by("title", "id")[:100])


def get_macro(viewer: User, macro_id: int, *, to_edit: bool = False) -> Macro:
    macro = Macro.objects.filter(pk=min(macro_id, MAX_ID)).first()
    if macro is None or not viewer.is_active or (to_edit and not is_editor(viewer)):
        raise NotFound(_("Not found."))
    return macro


@dataclass(frozen=True)
class AgentUsage:
    """How much one agent answered with the knowledge base in a period."""

    agent: User
    tickets_replied: int
    tickets_with_knowledge: int
    insertions: int
    template_uses: int

    @property
    def rate(self) -> float | None:
        """Share of the tickets the agent replied to where an article or template was used."""
        if not self.tickets_replied:
            return None
        return min(1.0, self.tickets_with_knowledge / self.tickets_replied)


@dataclass(frozen=True)
class UsageReport:
    since: datetime
    agents: list[AgentUsage]
    articles: list[Article]
    templates: list[ReplyTemplate]


def usage_report(viewer: User, *, days: int = 30) -> UsageReport:
    """The knowledge-base usage rate per agent over the last ``days`` days (editors only),
    with the most used articles and templates; a fixed number of queries."""
    if not is_editor(viewer):
        raise NotFound(_("Not found."))
    since = timezone.now() - timedelta(days=days)
    replied = dict(
        Message.objects.filter(kind=MessageKind.REPLY, created_at__gte=since, author__isnull=False)
        .values("author")
        .annotate(tickets=Count("ticket", distinct=True))
        .values_list("author", "tickets")
    )
    used: dict[int, set[int]] = {}
    insertions: dict[int, int] = {}
    template_uses: dict[int, int] = {}
    for user_id, ticket_id in ArticleUse.objects.filter(
        kind=UseKind.INSERT, created_at__gte=since, user__isnull=False
    ).values_list("user", "ticket_id"):
        insertions[user_id] = insertions.get(user_id, 0) + 1
        if ticket_id:
            used.setdefault(user_id, set()).add(ticket_id)
    for user_id, ticket_id in TemplateUse.objects.filter(
        created_at__gte=since, user__isnull=False
    ).values_list("user", "ticket_id"):
        template_uses[user_id] = template_uses.get(user_id, 0) + 1
        if ticket_id:
            used.setdefault(user_id, set()).add(ticket_id)
    ids = set(replied) | set(insertions) | set(template_uses)
    users = User.objects.filter(pk__in=ids).order_by("display_name", "username")
    agents = [
        AgentUsage(
            agent=u,
            tickets_replied=replied.get(u.pk, 0),
            tickets_with_knowledge=len(used.get(u.pk, ())),
            insertions=insertions.get(u.pk, 0),
            template_uses=template_uses.get(u.pk, 0),
        )
        for u in users
    ]
    articles = list(
        Article.objects.filter(status=ArticleStatus.PUBLISHED)
        .order_by("-insert_count", "-view_count", "id")
        .only("id", "title", "language", "view_count", "insert_count", "helpful_count",
              "unhelpful_count")[:20]
    )  # fmt: skip
    templates = list(
        ReplyTemplate.objects.filter(use_count__gt=0).order_by("-use_count", "id")[:20]
    )
    return UsageReport(since=since, agents=agents, articles=articles, templates=templates)


# --- Automatic answers --------------------------------------------------------------------------


@dataclass(frozen=True)
class AutoAnswerRow:
    """One channel on the automatic-answers page: its setting and its last days."""

    channel: str
    label: str
    setting: AutoAnswerChannel | None
    answered: int
    skipped: int
    handed_over: int

    @property
    def is_enabled(self) -> bool:
        return self.setting is not None and self.setting.is_enabled

    @property
    def kept(self) -> int:
        """Answered and the customer did not write again."""
        return self.answered - self.handed_over


def auto_answer_overview(*, days: int = 30) -> list[AutoAnswerRow]:
    """Every channel with its automatic-answer setting and what the answerer did over the
    last ``days`` (two queries, whatever the number of channels)."""
    settings = {
        s.channel: s for s in AutoAnswerChannel.objects.select_related("sender", "updated_by")
    }
    since = timezone.now() - timedelta(days=days)
    counts = {
        row["channel"]: row
        for row in AutoAnswer.objects.filter(created_at__gte=since)
        .values("channel")
        .annotate(
            answered=Count("pk", filter=Q(outcome=AutoAnswerOutcome.ANSWERED)),
            skipped=Count("pk", filter=Q(outcome=AutoAnswerOutcome.SKIPPED)),
            handed_over=Count("pk", filter=Q(handed_over_at__isnull=False)),
        )
        .order_by()
    }
    return [
        AutoAnswerRow(
            channel=str(value),
            label=str(label),
            setting=settings.get(str(value)),
            answered=int(counts.get(value, {}).get("answered", 0)),
            skipped=int(counts.get(value, {}).get("skipped", 0)),
            handed_over=int(counts.get(value, {}).get("handed_over", 0)),
        )
        for value, label in Channel.choices
    ]


def auto_answer_for_ticket(ticket: Ticket) -> AutoAnswer | None:
    """What the answerer did with ``ticket`` (the viewer already sees the ticket)."""
    return AutoAnswer.objects.select_related("article").filter(ticket_id=ticket.pk).first()
