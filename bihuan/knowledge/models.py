"""Knowledge base: articles with their versions and review cycle, synonyms, reply templates.

Only ``bihuan.knowledge.services`` writes these rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from bihuan.knowledge.choices import (
    MACRO_STATUSES,
    ArticleStatus,
    Audience,
    AutoAnswerOutcome,
    HandoverReason,
    Language,
    Scenario,
    SkipReason,
    UseKind,
)
from bihuan.tickets.choices import Channel, Priority


class KnowledgeCategory(models.Model):
    """A node of the article category tree (退款 › 到账时间)."""

    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("knowledge category")
        verbose_name_plural = _("knowledge categories")
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"], name="knowledge_category_unique_in_parent"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Article(models.Model):
    """One article in one language. Translations share ``group_id`` (the first article's id),
    at most one per language. ``title``/``body`` are the current version's; every change of
    them adds an ``ArticleVersion``. The token columns feed the full-text index."""

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body (Markdown)"))
    answer = models.TextField(
        _("answer for customers"),
        blank=True,
        help_text=_("Inserted into a reply with one click; the body is used when empty."),
    )
    category = models.ForeignKey(
        KnowledgeCategory,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles",
    )
    tags = models.ManyToManyField("core.Tag", verbose_name=_("tags"), blank=True, related_name="+")
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    group_id = models.BigIntegerField(null=True, blank=True)
    audience = models.CharField(
        _("audience"), max_length=16, choices=Audience.choices, default=Audience.INTERNAL
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="knowledge_articles",
    )
    review_by = models.DateField(_("review by"), null=True, blank=True)
    version_number = models.PositiveIntegerField(default=1)
    title_tokens = models.TextField(blank=True, editable=False)
    body_tokens = models.TextField(blank=True, editable=False)
    view_count = models.PositiveIntegerField(default=0)
    insert_count = models.PositiveIntegerField(default=0)
    helpful_count = models.PositiveIntegerField(default=0)
    unhelpful_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        indexes = [
            models.Index(fields=["status", "updated_at", "id"], name="article_status_idx"),
            models.Index(fields=["owner", "review_by"], name="article_owner_review_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["group_id", "language"],
                condition=Q(group_id__isnull=False),
                name="article_one_translation_per_language",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.status == ArticleStatus.PUBLISHED


class ArticleVersion(models.Model):
    """An immutable snapshot of an article's title and body (version 1, 2, …)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body (Markdown)"))
    answer = models.TextField(_("answer for customers"), blank=True)
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("article version")
        verbose_name_plural = _("article versions")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="article_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.number}"


class PolicyChange(models.Model):
    """A product or policy change that puts the articles it touches up for review in 24 h."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("what changed"), blank=True)
    tag = models.ForeignKey(
        "core.Tag",
        verbose_name=_("tag"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    query = models.CharField(_("search words"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("policy change")
        verbose_name_plural = _("policy changes")

    def __str__(self) -> str:
        return self.title


class ReviewTask(models.Model):
    """Review one article after a policy change, by ``due_at`` (24 h), owned by its owner."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="review_tasks")
    policy_change = models.ForeignKey(
        PolicyChange, on_delete=models.CASCADE, related_name="review_tasks"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    due_at = models.DateTimeField(_("due at"))
    is_overdue = models.BooleanField(_("overdue"), default=False)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("review task")
        verbose_name_plural = _("review tasks")
        indexes = [models.Index(fields=["assignee", "done_at"], name="review_task_open_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["article"],
                condition=Q(done_at__isnull=True),
                name="review_task_one_open_per_article",
            )
        ]

    def __str__(self) -> str:
        return f"{self.article_id} ← {self.policy_change_id}"


class Synonym(models.Model):
    """Words a search treats as the same (快递 物流 快运): any of them finds all of them."""

    terms = models.CharField(_("words"), max_length=300)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("synonym")
        verbose_name_plural = _("synonyms")
        ordering = ["terms"]

    def __str__(self) -> str:
        return self.terms

    @property
    def term_list(self) -> list[str]:
        return [t for t in self.terms.split() if t]


class ArticleUse(models.Model):
    """One view, insertion into a reply, or vote (the knowledge-base usage rate)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="uses")
    kind = models.CharField(max_length=16, choices=UseKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    ticket_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["kind", "created_at"], name="article_use_kind_idx"),
            models.Index(fields=["article", "user", "kind"], name="article_use_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.article_id}"


class ReplyTemplate(models.Model):
    """A reply template (话术) for a scenario, with safe variables ({{ customer.name }}).
    Shared templates (no owner) are for everyone; personal ones only for their owner."""

    title = models.CharField(_("title"), max_length=100)
    scenario = models.CharField(_("scenario"), max_length=16, choices=Scenario.choices)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    body = models.TextField(_("text"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reply_templates",
    )
    is_active = models.BooleanField(_("active"), default=True)
    use_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("reply template")
        verbose_name_plural = _("reply templates")
        ordering = ["scenario", "title", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_shared(self) -> bool:
        return self.owner_id is None


class TemplateUse(models.Model):
    """One insertion of a template into a reply (usage per template and per agent)."""

    template = models.ForeignKey(ReplyTemplate, on_delete=models.CASCADE, related_name="uses")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    ticket_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["user", "created_at"], name="template_use_user_idx")]

    def __str__(self) -> str:
        return f"{self.template_id} by {self.user_id}"


class Macro(models.Model):
    """A reply template plus field changes applied to a ticket in one click (*refund approved*:
    reply, set the category, add a tag, wait for the customer). Shared with the whole team."""

    title = models.CharField(_("title"), max_length=100)
    template = models.ForeignKey(
        ReplyTemplate,
        verbose_name=_("reply template"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="macros",
    )
    status = models.CharField(_("set status"), max_length=32, blank=True, choices=MACRO_STATUSES)
    priority = models.PositiveSmallIntegerField(
        _("set priority"), null=True, blank=True, choices=Priority.choices
    )
    category = models.ForeignKey(
        "tickets.Category",
        verbose_name=_("set category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    add_tags = models.CharField(_("add tags"), max_length=300, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    use_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("macro")
        verbose_name_plural = _("macros")
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def tag_list(self) -> list[str]:
        return [t for t in self.add_tags.split() if t]


class SearchWord(models.Model):
    """A Latin word that occurs in some article: the vocabulary a misspelt English search word
    is corrected against (refnud → refund). Found by first letter and length."""

    word = models.CharField(max_length=40, unique=True)
    initial = models.CharField(max_length=1)
    length = models.PositiveSmallIntegerField()

    class Meta:
        indexes = [models.Index(fields=["initial", "length"], name="search_word_shape_idx")]

    def __str__(self) -> str:
        return self.word


class AutoAnswerChannel(models.Model):
    """An admin's choice to answer inquiries on one channel automatically (智能预处理).

    Off unless a row says on. ``threshold`` is the confidence an article must reach;
    ``sender`` is the staff account the answers are sent as (shown as their author)."""

    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, unique=True)
    is_enabled = models.BooleanField(_("answer automatically"), default=False)
    threshold = models.FloatField(_("confidence threshold"))
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent as"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("automatic answer setting")
        verbose_name_plural = _("automatic answer settings")
        ordering = ["channel"]
        constraints = [
            models.CheckConstraint(
                condition=Q(threshold__gte=0) & Q(threshold__lte=1),
                name="auto_answer_threshold_in_range",
            )
        ]

    def __str__(self) -> str:
        return self.channel


class AutoAnswer(models.Model):
    """What the answerer did with one ticket (at most once: the row is the idempotency key):
    answered it with an article, or left it to an agent and why; and when the customer wrote
    again, that it went to a person (``handed_over_at``). The tickets app keeps no such field:
    this row and the ``knowledge.auto_*`` events are the record."""

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="+", verbose_name=_("ticket")
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    outcome = models.CharField(_("outcome"), max_length=16, choices=AutoAnswerOutcome.choices)
    reason = models.CharField(_("reason"), max_length=32, blank=True, choices=SkipReason.choices)
    article = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confidence = models.FloatField(_("confidence"), default=0)
    threshold = models.FloatField(_("threshold"))
    message = models.ForeignKey(
        "tickets.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))
    handed_over_at = models.DateTimeField(_("handed over at"), null=True, blank=True)
    handover_reason = models.CharField(
        _("handover reason"), max_length=32, blank=True, choices=HandoverReason.choices
    )

    class Meta:
        verbose_name = _("automatic answer")
        verbose_name_plural = _("automatic answers")
        indexes = [
            models.Index(fields=["channel", "created_at"], name="auto_answer_channel_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.outcome}"

    @property
    def is_answered(self) -> bool:
        return self.outcome == AutoAnswerOutcome.ANSWERED

    @property
    def is_waiting(self) -> bool:
        """Answered and the customer has not written since."""
        return self.is_answered and self.handed_over_at is None


class AnswerModelVersion(models.Model):
    """One trained answer model (``answer_model.AnswerModel``, a file in the data folder) that
    automatic answers use while it is the active one; earlier ones are kept."""

    version = models.CharField(_("version"), max_length=64, unique=True)
    path = models.CharField(max_length=500)
    trained_at = models.DateTimeField(_("trained at"))
    sample_count = models.PositiveIntegerField(_("labelled questions"))
    metrics = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=False)

    class Meta:
        verbose_name = _("answer model")
        verbose_name_plural = _("answer models")
        ordering = ["-trained_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=Q(is_active=True),
                name="one_active_answer_model",
            )
        ]

    def __str__(self) -> str:
        return self.version
