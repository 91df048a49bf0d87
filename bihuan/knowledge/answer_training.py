"""Training the answer model on the organisation's own labelled questions, and measuring it.

The examples are the labelled questions (``labelled/answers.tsv``, or an organisation's own
file of the same layout, whose articles are found by their titles) and the questions of
tickets an agent inserted a public article into (``ArticleUse`` insertions: the ticket's
subject and first message, answered by that article). The model file goes to the data
folder, an ``AnswerModelVersion`` row records it and becomes the active one, and
``knowledge.answer_model_trained`` is written, in one transaction.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bihuan.accounts.models import User
from bihuan.core.errors import ValidationFailed
from bihuan.core.events import record_event
from bihuan.knowledge import answerer
from bihuan.knowledge.answer_evaluation import NONE, LabelledQuestion
from bihuan.knowledge.answer_model import FOLDS, AnswerModel, Example, folds
from bihuan.knowledge.answering import AnswerMatch
from bihuan.knowledge.choices import ArticleStatus, Audience, UseKind
from bihuan.knowledge.models import AnswerModelVersion, Article, ArticleUse
from bihuan.tickets.choices import MessageKind
from bihuan.tickets.models import Message, Ticket

MIN_EXAMPLES = 2 * FOLDS
MAX_INSERTIONS = 20_000


def labelled_examples(
    questions: Sequence[LabelledQuestion], slugs: dict[int, str]
) -> list[Example]:
    """The labelled questions as examples, their articles found by ``slugs`` (id → slug);
    a question whose article is not published here is left out."""
    by_slug = {
        (slug, language): pk
        for pk, language, slug in (
            (pk, language, slugs[pk])
            for pk, language in Article.objects.filter(pk__in=slugs).values_list("pk", "language")
        )
    }
    examples = []
    for item in questions:
        if item.answer == NONE:
            examples.append(Example(item.question, item.language, 0))
        elif (item.answer, item.language) in by_slug:
            article = by_slug[item.answer, item.language]
            examples.append(Example(item.question, item.language, article))
    return examples


def insertion_examples(*, limit: int = MAX_INSERTIONS) -> list[Example]:
    """Tickets an agent inserted a published public article into: the ticket's subject and
    first customer message, answered by that article (the latest insertion per ticket)."""
    live = Article.objects.filter(status=ArticleStatus.PUBLISHED, audience=Audience.PUBLIC)
    chosen: dict[int, int] = {}
    for ticket_id, article_id in (
        ArticleUse.objects.filter(kind=UseKind.INSERT, ticket_id__isnull=False, article__in=live)
        .order_by("-id")
        .values_list("ticket_id", "article_id")[:limit]
    ):
        chosen.setdefault(int(ticket_id or 0), int(article_id))
    languages = dict(live.filter(pk__in=set(chosen.values())).values_list("pk", "language"))
    subjects = dict(Ticket.objects.filter(pk__in=chosen).values_list("pk", "subject"))
    bodies: dict[int, str] = {}
    for ticket_id, body in (
        Message.objects.filter(ticket_id__in=chosen, kind=MessageKind.CUSTOMER)
        .order_by("ticket_id", "id")
        .values_list("ticket_id", "body")
    ):
        bodies.setdefault(ticket_id, body)
    return [
        Example(f"{subjects[pk]}\n{bodies.get(pk, '')}".strip(), languages[article], article)
        for pk, article in sorted(chosen.items())
        if pk in subjects and article in languages
    ]


def article_texts() -> dict[int, str]:
    """Each published public article's title and answer for customers (the examples of its
    own label)."""
    rows = Article.objects.filter(
        status=ArticleStatus.PUBLISHED, audience=Audience.PUBLIC
    ).values_list("pk", "title", "answer")
    return {int(pk): f"{title}\n{answer}" for pk, title, answer in rows}


def fit_model(examples: Sequence[Example], *, seed: int = 0) -> AnswerModel:
    """A model trained on ``examples`` and the published public articles (nothing saved)."""
    if len(examples) < MIN_EXAMPLES or len({e.article_id for e in examples}) < 2:
        raise ValidationFailed(
            _(
                "Not enough labelled questions to train the answer model: %(count)s (need "
                "%(minimum)s, some answered by an article and some by none)."
            ),
            code="not_enough_data",
            count=len(examples),
            minimum=MIN_EXAMPLES,
        )
    return AnswerModel().fit(
        examples, article_texts(), answerer.read, seed=seed, read_many=answerer.read_many
    )


def train_answer_model(
    examples: Sequence[Example], *, actor: User | None = None
) -> AnswerModelVersion:
    """Train the answer model on ``examples`` and make it the active one (the previous ones
    stay on disk and in the table)."""
    started = timezone.now()
    model = fit_model(examples)
    seconds = round((timezone.now() - started).total_seconds(), 2)
    answered = sum(1 for e in examples if e.article_id)
    metrics = {
        "questions": len(examples),
        "answered_by_an_article": answered,
        "train_seconds": seconds,
    }
    with transaction.atomic():
        taken = AnswerModelVersion.objects.select_for_update().all()
        number = len(list(taken.values_list("pk", flat=True))) + 1
        # Unique even for two trainings in the same second (or a demo reloaded at a frozen
        # instant): a version's file is never overwritten while a row may still name it.
        version = f"answers-v{number}-{started:%Y%m%d%H%M%S}-{secrets.token_hex(3)}"
        path = model.save(Path(settings.DATA_DIR) / "models" / f"{version}.joblib")
        AnswerModelVersion.objects.filter(is_active=True).update(is_active=False)
        row = AnswerModelVersion.objects.create(
            version=version,
            path=str(path),
            trained_at=started,
            sample_count=len(examples),
            metrics=metrics,
            is_active=True,
        )
        record_event(
            "knowledge.answer_model_trained",
            row,
            actor=actor,
            data={"version": version, "sample_count": len(examples), **metrics},
        )
    return row


def cross_validate(
    examples: Sequence[Example], *, seeds: int = 3
) -> list[tuple[int, AnswerMatch | None]]:
    """Each example (by its index) asked of a model trained without it (``FOLDS`` folds,
    ``seeds`` times with different folds): what tuning a threshold on the examples may
    honestly look at."""
    asked: list[tuple[int, AnswerMatch | None]] = []
    labels = [e.article_id for e in examples]
    for seed in range(seeds):
        for train, held in folds(labels, 100 + seed):
            model = fit_model([examples[i] for i in train], seed=seed)
            readings = answerer.read_many(
                [
                    (
                        examples[i].question,
                        examples[i].language,
                        model.guesses(examples[i].question),
                    )
                    for i in held
                ]
            )
            for i, reading in zip(held, readings, strict=True):
                ranked = model.rank(reading)
                best = replace(ranked[0], model="cross-validation") if ranked else None
                asked.append((i, best))
    return asked
