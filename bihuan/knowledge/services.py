"""Knowledge use cases: the only writers of articles, versions, reviews, synonyms, templates.

Each service checks its rules and raises a ``DomainError`` before writing, runs in one
transaction, locks the article it changes, and records its event in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bihuan.accounts.models import User
from bihuan.core import due_work
from bihuan.core.bidi import neutralise_bidi
from bihuan.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from bihuan.core.events import notify, record_event
from bihuan.core.models import Tag
from bihuan.core.services import get_or_create_tags
from bihuan.core.text_search import index_text
from bihuan.knowledge import queries, search, variables
from bihuan.knowledge.choices import ArticleStatus, Audience, Language, Scenario, UseKind
from bihuan.knowledge.markdown import plain_text
from bihuan.knowledge.models import (
    Article,
    ArticleUse,
    ArticleVersion,
    KnowledgeCategory,
    Macro,
    PolicyChange,
    ReplyTemplate,
    ReviewTask,
    SearchWord,
    Synonym,
    TemplateUse,
)
from bihuan.knowledge.permissions import can_change_article, can_change_template, is_editor
from bihuan.tickets import services as ticket_services
from bihuan.tickets.choices import Priority, TicketStatus
from bihuan.tickets.models import Category, Ticket

MAX_TITLE = 200
MAX_BODY = 100_000
REVIEW_INTERVAL = timedelta(days=180)
REVIEW_DEADLINE = timedelta(hours=24)
REVIEW_OVERDUE = "knowledge.review_overdue"

# Who may move an article from one status to another: "owner" (or an editor) or "editor".
TRANSITIONS: dict[tuple[str, str], str] = {
    (ArticleStatus.DRAFT, ArticleStatus.IN_REVIEW): "owner",
    (ArticleStatus.DRAFT, ArticleStatus.PUBLISHED): "editor",
    (ArticleStatus.IN_REVIEW, ArticleStatus.PUBLISHED): "editor",
    (ArticleStatus.IN_REVIEW, ArticleStatus.DRAFT): "owner",
    (ArticleStatus.PUBLISHED, ArticleStatus.ARCHIVED): "editor",
    (ArticleStatus.PUBLISHED, ArticleStatus.DRAFT): "editor",
    (ArticleStatus.ARCHIVED, ArticleStatus.DRAFT): "editor",
}


def _text(value: str, *, label: str, limit: int, required: bool = True) -> str:
    text = neutralise_bidi(value or "").strip()
    if required and not text:
        raise ValidationFailed(_("%(field)s must not be empty."), code="empty", field=label)
    if len(text) > limit:
        raise ValidationFailed(
            _("%(field)s is longer than %(limit)s characters."),
            code="too_long",
            field=label,
            limit=limit,
        )
    return text


def _choice(value: str, choices: type[Language | Audience | Scenario], *, label: str) -> None:
    if value not in choices.values:
        raise ValidationFailed(
            _("“%(value)s” is not a valid %(field)s."),
            code="invalid_choice",
            value=value,
            field=label,
        )


def _require_editor(actor: User) -> None:
    if not is_editor(actor):
        raise PermissionDenied(
            gettext_lazy("Only supervisors and admins may do this."), code="editor_only"
        )


# --- Articles ----------------------------------------------------------------------------


@dataclass
class ArticleFields:
    """What a person writes of an article (the same for a new article and an edit)."""

    title: str
    body: str
    language: str = Language.ZH
    audience: str = Audience.INTERNAL
    answer: str = ""
    category: KnowledgeCategory | None = None
    tags: list[str] = field(default_factory=list)
    review_by: date | None = None
    note: str = ""


@dataclass(frozen=True)
class _Clean:
    title: str
    body: str
    answer: str
    note: str


def _clean(fields: ArticleFields) -> _Clean:
    _choice(fields.language, Language, label=str(_("language")))
    _choice(fields.audience, Audience, label=str(_("audience")))
    return _Clean(
        title=_text(fields.title, label=str(_("Title")), limit=MAX_TITLE),
        body=_text(fields.body, label=str(_("Body")), limit=MAX_BODY),
        answer=_text(fields.answer, label=str(_("Answer")), limit=MAX_BODY, required=False),
        note=_text(fields.note, label=str(_("Note")), limit=300, required=False),
    )


def _tokens(article: Article) -> None:
    article.title_tokens = index_text(article.title)
    article.body_tokens = index_text(article.body, article.answer)


def _remember_words(article: Article) -> None:
    """Add the article's English words to the vocabulary typos are corrected against."""
    words = search.latin_words(f"{article.title_tokens} {article.body_tokens}")
    SearchWord.objects.bulk_create(
        [SearchWord(word=w, initial=w[0], length=len(w)) for w in words], ignore_conflicts=True
    )


def _snapshot(article: Article, *, actor: User | None, note: str) -> ArticleVersion:
    return ArticleVersion.objects.create(
        article=article,
        number=article.version_number,
        title=article.title,
        body=article.body,
        answer=article.answer,
        note=note,
        author=actor,
        created_at=article.updated_at,
    )


def create_article(
    fields: ArticleFields,
    *,
    actor: User,
    owner: User | None = None,
    translation_of: Article | None = None,
) -> Article:
    """Write a new article as a draft (version 1), optionally as the translation of another.

    Only editors may give the article to another owner; a translation group holds at most one
    article per language.
    """
    clean = _clean(fields)
    if not actor.is_active:
        raise PermissionDenied(gettext_lazy("Only supervisors and admins may do this."))
    if owner is not None and owner.pk != actor.pk:
        _require_editor(actor)
    if translation_of is not None:
        group = translation_of.group_id or translation_of.pk
        if Article.objects.filter(group_id=group, language=fields.language).exists() or (
            translation_of.language == fields.language
        ):
            raise Conflict(
                gettext_lazy("This article already has a translation in that language."),
                code="translation_exists",
            )
    with transaction.atomic():
        now = timezone.now()
        article = Article(
            title=clean.title,
            body=clean.body,
            answer=clean.answer,
            language=fields.language,
            audience=fields.audience,
            category=fields.category,
            owner=owner or actor,
            review_by=fields.review_by,
            created_at=now,
            updated_at=now,
        )
        _tokens(article)
        article.save()
        _remember_words(article)
        if translation_of is not None:
            group = translation_of.group_id or translation_of.pk
            Article.objects.filter(pk=translation_of.pk, group_id__isnull=True).update(
                group_id=group
            )
            article.group_id = group
            article.save(update_fields=["group_id"])
        if fields.tags:
            article.tags.set(get_or_create_tags(fields.tags))
        _snapshot(article, actor=actor, note=clean.note)
        record_event(
            "knowledge.article_created",
            article,
            actor=actor,
            data={"title": article.title, "language": article.language},
        )
    return article


def _lock(article: Article) -> Article:
    return Article.objects.select_for_update().get(pk=article.pk)


def update_article(
    article: Article, fields: ArticleFields, *, actor: User, expected_version: int | None = None
) -> Article:
    """Change an article; a change of its title, body or answer adds a version.

    ``expected_version`` is the version the editor started from: a later one means someone
    else saved meanwhile, and the edit is refused rather than silently overwriting theirs.
    """
    clean = _clean(fields)
    if not can_change_article(actor, article):
        raise NotFound(gettext_lazy("Article not found."))
    with transaction.atomic():
        article = _lock(article)
        if expected_version is not None and expected_version != article.version_number:
            raise Conflict(
                gettext_lazy("Someone saved this article meanwhile; reload it and edit again."),
                code="stale_version",
            )
        if (
            article.group_id is not None
            and fields.language != article.language
            and Article.objects.filter(group_id=article.group_id, language=fields.language)
            .exclude(pk=article.pk)
            .exists()
        ):
            raise Conflict(
                gettext_lazy("This article already has a translation in that language."),
                code="translation_exists",
            )
        content_changed = (clean.title, clean.body, clean.answer) != (
            article.title,
            article.body,
            article.answer,
        )
        before_tags = sorted(article.tags.values_list("name", flat=True))
        article.title, article.body, article.answer = clean.title, clean.body, clean.answer
        article.language = fields.language
        article.audience = fields.audience
        article.category = fields.category
        article.review_by = fields.review_by
        article.updated_at = timezone.now()
        update = ["title", "body", "answer", "language", "audience", "category", "review_by"]
        update += ["updated_at", "title_tokens", "body_tokens", "version_number"]
        if content_changed:
            article.version_number += 1
        _tokens(article)
        article.save(update_fields=update)
        _remember_words(article)
        article.tags.set(get_or_create_tags(fields.tags))
        if content_changed:
            _snapshot(article, actor=actor, note=clean.note)
        record_event(
            "knowledge.article_updated",
            article,
            actor=actor,
            data={
                "version": article.version_number,
                "content_changed": content_changed,
                "tags": {"from": before_tags, "to": sorted({t.strip() for t in fields.tags})},
            },
        )
    return article


def change_article_status(article: Article, *, to: str, actor: User) -> Article:
    """Move an article along draft → in review → published → archived (see ``TRANSITIONS``).

    Publishing sets a review-by date when the article has none (six months on).
    """
    if not can_change_article(actor, article):
        raise NotFound(gettext_lazy("Article not found."))
    with transaction.atomic():
        article = _lock(article)
        who = TRANSITIONS.get((article.status, to))
        if who is None:
            raise Conflict(
                gettext_lazy("An article cannot go from %(before)s to %(after)s."),
                code="invalid_transition",
                before=ArticleStatus(article.status).label,
                after=ArticleStatus(to).label if to in ArticleStatus.values else to,
            )
        if who == "editor":
            _require_editor(actor)
        before = article.status
        now = timezone.now()
        article.status = to
        article.updated_at = now
        update = ["status", "updated_at"]
        if to == ArticleStatus.PUBLISHED:
            article.published_at = now
            update.append("published_at")
            if article.review_by is None:
                article.review_by = timezone.localdate() + REVIEW_INTERVAL
                update.append("review_by")
        article.save(update_fields=update)
        record_event(
            "knowledge.article_status_changed",
            article,
            actor=actor,
            data={"from": before, "to": to},
        )
    return article


def restore_version(article: Article, *, version: ArticleVersion, actor: User) -> Article:
    """Make an earlier version the current text again, as a new version (history is kept)."""
    if not can_change_article(actor, article) or version.article_id != article.pk:
        raise NotFound(gettext_lazy("Article not found."))
    with transaction.atomic():
        article = _lock(article)
        article.title, article.body, article.answer = version.title, version.body, version.answer
        article.version_number += 1
        article.updated_at = timezone.now()
        _tokens(article)
        article.save(
            update_fields=[
                "title",
                "body",
                "answer",
                "version_number",
                "updated_at",
                "title_tokens",
                "body_tokens",
            ]
        )
        _remember_words(article)
        _snapshot(
            article,
            actor=actor,
            note=_("Restored version %(number)s") % {"number": version.number},
        )
        record_event(
            "knowledge.article_restored",
            article,
            actor=actor,
            data={"restored": version.number, "version": article.version_number},
        )
    return article


# --- Keeping articles current ---------------------------------------------------------------


def flag_policy_change(
    *,
    title: str,
    description: str = "",
    tag: Tag | None = None,
    query: str = "",
    actor: User,
) -> PolicyChange:
    """Record a product or policy change and put every live article it touches (by tag, or
    by search words) up for review: one review task per article for its owner, due in 24 h
    (a due item marks it overdue then). An article already under review keeps its task."""
    _require_editor(actor)
    clean_title = _text(title, label=str(_("Title")), limit=MAX_TITLE)
    clean_description = _text(description, label=str(_("Description")), limit=5000, required=False)
    clean_query = _text(query, label=str(_("Search words")), limit=200, required=False)
    if tag is None and not clean_query:
        raise ValidationFailed(
            gettext_lazy("Choose a tag or give search words: which articles does it touch?"),
            code="no_selection",
        )
    with transaction.atomic():
        now = timezone.now()
        change = PolicyChange.objects.create(
            title=clean_title,
            description=clean_description,
            tag=tag,
            query=clean_query,
            created_by=actor,
            created_at=now,
        )
        ids = queries.articles_touched_by(tag=tag, query=clean_query)
        open_ids = set(
            ReviewTask.objects.filter(article_id__in=ids, done_at__isnull=True).values_list(
                "article_id", flat=True
            )
        )
        articles = Article.objects.filter(pk__in=[i for i in ids if i not in open_ids])
        tasks = []
        for article in articles.select_related("owner").order_by("pk"):
            task = ReviewTask.objects.create(
                article=article,
                policy_change=change,
                assignee=article.owner,
                due_at=now + REVIEW_DEADLINE,
                created_at=now,
            )
            due_work.schedule(
                REVIEW_OVERDUE,
                key=f"knowledge.reviewtask:{task.pk}",
                due_at=task.due_at,
                data={"task": task.pk},
            )
            event = record_event(
                "knowledge.review_requested",
                article,
                actor=actor,
                data={"policy_change": change.title, "due_at": task.due_at.isoformat()},
            )
            notify(event, [article.owner])
            tasks.append(task)
        record_event(
            "knowledge.policy_changed",
            change,
            actor=actor,
            data={"title": change.title, "articles": len(tasks)},
        )
    return change


def complete_review(article: Article, *, actor: User, review_by: date | None = None) -> Article:
    """The owner (or an editor) confirms the article is current: its open review task is done
    and its next review-by date is set (six months on unless given)."""
    if not can_change_article(actor, article):
        raise NotFound(gettext_lazy("Article not found."))
    next_review = review_by or timezone.localdate() + REVIEW_INTERVAL
    if next_review <= timezone.localdate():
        raise ValidationFailed(
            gettext_lazy("The next review date must be in the future."), code="past_date"
        )
    with transaction.atomic():
        article = _lock(article)
        now = timezone.now()
        task = ReviewTask.objects.filter(article=article, done_at__isnull=True).first()
        if task is not None:
            task.done_at, task.done_by = now, actor
            task.save(update_fields=["done_at", "done_by"])
            due_work.cancel(REVIEW_OVERDUE, key=f"knowledge.reviewtask:{task.pk}")
        article.review_by = next_review
        article.save(update_fields=["review_by"])
        record_event(
            "knowledge.article_reviewed",
            article,
            actor=actor,
            data={"review_by": next_review.isoformat(), "task": task.pk if task else None},
        )
    return article


def mark_review_overdue(task_id: int) -> bool:
    """The 24 hours of a review task passed while it was open: mark it overdue and tell its
    owner and the editors. Safe to run twice (a done or already overdue task is left)."""
    with transaction.atomic():
        task = (
            ReviewTask.objects.select_for_update()
            .select_related("article", "assignee")
            .filter(pk=task_id, done_at__isnull=True, is_overdue=False)
            .first()
        )
        if task is None:
            return False
        task.is_overdue = True
        task.save(update_fields=["is_overdue"])
        event = record_event(
            "knowledge.review_overdue",
            task.article,
            data={"task": task.pk, "due_at": task.due_at.isoformat()},
        )
        editors = User.objects.filter(role__in=["admin", "supervisor"], is_active=True)
        notify(event, [task.assignee, *editors])
    return True


# --- Usage -------------------------------------------------------------------------------------

_COUNTERS: dict[str, str] = {
    UseKind.VIEW: "view_count",
    UseKind.INSERT: "insert_count",
    UseKind.HELPFUL: "helpful_count",
    UseKind.UNHELPFUL: "unhelpful_count",
}


def record_article_use(
    article: Article, *, kind: str, actor: User, ticket: Ticket | None = None
) -> str:
    """Count a view, an insertion into a reply or a vote; returns the text to insert.

    A person votes once per article: a second vote replaces the first (counters follow).
    """
    if kind not in _COUNTERS:
        raise ValidationFailed(_("“%(value)s” is not a valid %(field)s."), value=kind, field="kind")
    if kind == UseKind.INSERT and article.status != ArticleStatus.PUBLISHED:
        raise Conflict(gettext_lazy("Only published articles can be inserted."), code="unpublished")
    with transaction.atomic():
        now = timezone.now()
        votes = (UseKind.HELPFUL, UseKind.UNHELPFUL)
        if kind in votes:
            previous = list(
                ArticleUse.objects.select_for_update().filter(
                    article=article, user=actor, kind__in=votes
                )
            )
            if any(p.kind == kind for p in previous):
                return ""
            for vote in previous:
                Article.objects.filter(pk=article.pk).update(
                    **{_COUNTERS[vote.kind]: F(_COUNTERS[vote.kind]) - 1}
                )
                vote.delete()
        ArticleUse.objects.create(
            article=article,
            kind=kind,
            user=actor,
            ticket_id=ticket.pk if ticket is not None else None,
            created_at=now,
        )
        Article.objects.filter(pk=article.pk).update(**{_COUNTERS[kind]: F(_COUNTERS[kind]) + 1})
    if kind == UseKind.INSERT:
        return article.answer or plain_text(article.body)
    return ""


# --- Synonyms and categories ---------------------------------------------------------------


def create_synonym(*, terms: str, actor: User) -> Synonym:
    """A group of words searched as one (``快递 物流``): two words at least."""
    _require_editor(actor)
    words = list(dict.fromkeys(_text(terms, label=str(_("Words")), limit=300).lower().split()))
    if len(words) < 2:
        raise ValidationFailed(
            gettext_lazy("Give at least two words, separated by spaces."), code="one_word"
        )
    with transaction.atomic():
        synonym = Synonym.objects.create(terms=" ".join(words), created_at=timezone.now())
        record_event("knowledge.synonym_created", synonym, actor=actor, data={"terms": words})
    return synonym


def delete_synonym(synonym: Synonym, *, actor: User) -> None:
    _require_editor(actor)
    with transaction.atomic():
        record_event(
            "knowledge.synonym_deleted", synonym, actor=actor, data={"terms": synonym.term_list}
        )
        synonym.delete()


def create_category(
    *, name: str, parent: KnowledgeCategory | None = None, actor: User
) -> KnowledgeCategory:
    _require_editor(actor)
    clean = _text(name, label=str(_("Name")), limit=100)
    if KnowledgeCategory.objects.filter(parent=parent, name=clean).exists():
        raise Conflict(gettext_lazy("This category exists already."), code="duplicate")
    with transaction.atomic():
        category = KnowledgeCategory.objects.create(name=clean, parent=parent)
        record_event(
            "knowledge.category_created", category, actor=actor, data={"name": category.name}
        )
    return category


# --- Reply templates ---------------------------------------------------------------------------


@dataclass
class TemplateFields:
    title: str
    body: str
    scenario: str = Scenario.SOLUTION
    language: str = Language.ZH
    shared: bool = False


def _clean_template(fields: TemplateFields) -> tuple[str, str]:
    _choice(fields.scenario, Scenario, label=str(_("scenario")))
    _choice(fields.language, Language, label=str(_("language")))
    title = _text(fields.title, label=str(_("Title")), limit=100)
    body = _text(fields.body, label=str(_("Text")), limit=10_000)
    unknown = variables.unknown_variables(body)
    if unknown:
        raise ValidationFailed(
            gettext_lazy("Unknown variable: %(names)s. Use one of: %(known)s."),
            code="unknown_variable",
            names=", ".join(f"{{{{ {n} }}}}" for n in unknown),
            known=", ".join(f"{{{{ {n} }}}}" for n in variables.VARIABLES),
        )
    return title, body


def create_template(fields: TemplateFields, *, actor: User) -> ReplyTemplate:
    """A personal template of ``actor``, or a shared one (editors only)."""
    title, body = _clean_template(fields)
    if fields.shared:
        _require_editor(actor)
    with transaction.atomic():
        now = timezone.now()
        template = ReplyTemplate.objects.create(
            title=title,
            body=body,
            scenario=fields.scenario,
            language=fields.language,
            owner=None if fields.shared else actor,
            created_at=now,
            updated_at=now,
        )
        record_event(
            "knowledge.template_created",
            template,
            actor=actor,
            data={"title": title, "shared": fields.shared},
        )
    return template


def update_template(
    template: ReplyTemplate, fields: TemplateFields, *, actor: User, is_active: bool = True
) -> ReplyTemplate:
    """Change a template's text or scenario, or retire it (``is_active`` False)."""
    if not can_change_template(actor, template):
        raise NotFound(gettext_lazy("Template not found."))
    title, body = _clean_template(fields)
    with transaction.atomic():
        template = ReplyTemplate.objects.select_for_update().get(pk=template.pk)
        template.title, template.body = title, body
        template.scenario, template.language = fields.scenario, fields.language
        template.is_active = is_active
        template.updated_at = timezone.now()
        template.save(
            update_fields=["title", "body", "scenario", "language", "is_active", "updated_at"]
        )
        record_event(
            "knowledge.template_updated",
            template,
            actor=actor,
            data={"title": title, "active": is_active},
        )
    return template


def ticket_values(ticket: Ticket, *, agent: User) -> variables.Values:
    """What the variables stand for on ``ticket`` written by ``agent``."""
    commitment = (
        ticket.commitments.filter(done_at__isnull=True, cancelled_at__isnull=True)
        .order_by("due_at")
        .first()
    )
    return variables.Values(
        customer_name=ticket.customer.name,
        ticket_number=str(ticket.pk),
        ticket_subject=ticket.subject,
        agent_name=agent.display_name or agent.username,
        commitment_due=variables.format_due(commitment.due_at) if commitment else "",
        commitment_description=commitment.description if commitment else "",
    )


def use_template(template: ReplyTemplate, *, ticket: Ticket, actor: User) -> str:
    """Render a template for ``ticket`` and count the use (per template and per agent)."""
    if not template.is_active:
        raise Conflict(gettext_lazy("This template is retired."), code="retired")
    text = variables.render(template.body, ticket_values(ticket, agent=actor))
    with transaction.atomic():
        TemplateUse.objects.create(
            template=template, user=actor, ticket_id=ticket.pk, created_at=timezone.now()
        )
        ReplyTemplate.objects.filter(pk=template.pk).update(use_count=F("use_count") + 1)
    return text


# --- Macros ------------------------------------------------------------------------------------


@dataclass
class MacroFields:
    title: str
    template: ReplyTemplate | None = None
    status: str = ""
    priority: int | None = None
    category: Category | None = None
    add_tags: str = ""


def _clean_macro(fields: MacroFields) -> str:
    title = _text(fields.title, label=str(_("Title")), limit=100)
    if fields.status and fields.status not in TicketStatus.values:
        raise ValidationFailed(
            _("“%(value)s” is not a valid %(field)s."), value=fields.status, field=_("status")
        )
    if fields.priority is not None and fields.priority not in Priority.values:
        raise ValidationFailed(
            _("“%(value)s” is not a valid %(field)s."), value=fields.priority, field=_("priority")
        )
    if fields.template is not None and not fields.template.is_shared:
        raise ValidationFailed(
            gettext_lazy("A macro uses a shared template."), code="personal_template"
        )
    if not (fields.template or fields.status or fields.priority or fields.category) and not (
        fields.add_tags.split()
    ):
        raise ValidationFailed(
            gettext_lazy("A macro must reply or change something."), code="empty_macro"
        )
    return title


def save_macro(fields: MacroFields, *, actor: User, macro: Macro | None = None) -> Macro:
    """Create or change a macro (supervisors and admins)."""
    _require_editor(actor)
    title = _clean_macro(fields)
    with transaction.atomic():
        now = timezone.now()
        if macro is None:
            macro = Macro(created_at=now)
        else:
            macro = Macro.objects.select_for_update().get(pk=macro.pk)
        macro.title, macro.template, macro.status = title, fields.template, fields.status
        macro.priority, macro.category = fields.priority, fields.category
        macro.add_tags = " ".join(fields.add_tags.split())[:300]
        macro.updated_at = now
        macro.save()
        record_event("knowledge.macro_saved", macro, actor=actor, data={"title": title})
    return macro


def apply_macro(macro: Macro, *, ticket: Ticket, actor: User) -> Ticket:
    """Apply a macro to a ticket in one transaction: the reply (its template rendered for the
    ticket), then the field changes through the tickets services, each recording its own event
    (the reply, the field change, the tags, the status). A refused change undoes it all."""
    if not macro.is_active:
        raise Conflict(gettext_lazy("This macro is retired."), code="retired")
    with transaction.atomic():
        if macro.template is not None:
            text = use_template(macro.template, ticket=ticket, actor=actor)
            ticket_services.reply_to_customer(ticket, body=text, actor=actor)
        changes = ticket_services.TicketChanges()
        if macro.category is not None:
            changes.category = macro.category
        if macro.priority is not None:
            changes.priority = macro.priority
        if macro.tag_list:
            current = list(ticket.tags.values_list("name", flat=True))
            changes.tags = current + [t for t in macro.tag_list if t not in current]
        if macro.status:
            changes.status = macro.status
        if not changes.is_empty():
            ticket = ticket_services.update_ticket(ticket, changes, actor=actor)
        Macro.objects.filter(pk=macro.pk).update(use_count=F("use_count") + 1)
        record_event(
            "knowledge.macro_applied",
            macro,
            actor=actor,
            ticket_id=ticket.pk,
            customer_id=ticket.customer_id,
            data={"title": macro.title},
        )
    return ticket
