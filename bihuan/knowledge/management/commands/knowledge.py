"""``bihuan knowledge``: knowledge base tasks.

- ``defaults --as USERNAME``: load the default shared reply templates (话术, Chinese and
  English, one or more per scenario). Templates that exist by title and language are kept;
  running it again adds nothing.
- ``train-answers [--labelled dev|all] [--questions FILE --articles FILE] [--as USERNAME]``:
  train the answer model on the labelled questions (by default the dev part of
  ``bihuan/knowledge/labelled``; questions whose article is not published here are left out)
  and the tickets agents inserted a public article into, and make it the active one.
- ``evaluate-answers [--split test] [--threshold T] [--tune] [--curve]``: ask the knowledge base the
  labelled questions (``bihuan/knowledge/labelled``) as the automatic answerer does (with the
  active answer model, if any) and print the precision, its Wilson 95 % lower bound and the
  share answered. ``--tune`` picks the threshold on the dev part only (cross-validated).
  The labelled articles (the demo's public ones) must be published in the database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bihuan.accounts.models import User
from bihuan.core.errors import DomainError
from bihuan.knowledge import answer_evaluation as evaluation
from bihuan.knowledge import answer_training as training
from bihuan.knowledge.answer_evaluation import NONE
from bihuan.knowledge.answerer import DEFAULT_THRESHOLD, active_model
from bihuan.knowledge.defaults import install_default_templates


class Command(BaseCommand):
    help = (
        "Knowledge base tasks: 'defaults' loads the default shared reply templates; "
        "'evaluate-answers' measures automatic answers on the labelled questions."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subcommand", choices=["defaults", "evaluate-answers", "train-answers"])
        parser.add_argument(
            "--as",
            dest="username",
            help="defaults: a supervisor or admin, recorded as the author of the templates; "
            "train-answers: who trained the model (optional).",
        )
        parser.add_argument(
            "--labelled",
            choices=["dev", "all"],
            default="dev",
            help="train-answers: the labelled questions to learn from (dev; keep test unseen).",
        )
        parser.add_argument(
            "--questions",
            type=Path,
            default=evaluation.LABELLED / "answers.tsv",
            help="train-answers: labelled questions (id, language, split, answer, question).",
        )
        parser.add_argument(
            "--articles",
            type=Path,
            default=evaluation.LABELLED / "articles.tsv",
            help="train-answers: the articles the answers name (slug, zh title, en title).",
        )
        parser.add_argument(
            "--split",
            choices=["dev", "test", "all"],
            default="test",
            help="evaluate-answers: the part of the labelled questions to measure (test).",
        )
        parser.add_argument(
            "--threshold",
            type=float,
            default=None,
            help=f"evaluate-answers: the confidence threshold (default {DEFAULT_THRESHOLD}).",
        )
        parser.add_argument(
            "--curve",
            action="store_true",
            help="evaluate-answers: also print precision and share answered per threshold.",
        )
        parser.add_argument(
            "--tune",
            action="store_true",
            help="evaluate-answers: choose the threshold on the dev part, then measure.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "evaluate-answers":
            self._evaluate(options)
            return
        if options["subcommand"] == "train-answers":
            self._train(options)
            return
        if not options["username"]:
            raise CommandError("defaults needs --as USERNAME.")
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user {options['username']!r}.")
        try:
            created = install_default_templates(actor=user)
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{created} reply templates added.")

    def _evaluate(self, options: dict[str, Any]) -> None:
        threshold = options["threshold"]
        if threshold is not None and not 0 <= threshold <= 1:
            raise CommandError("--threshold must be between 0 and 1.")
        questions = evaluation.load_questions()
        try:
            slugs = evaluation.article_slugs(evaluation.load_articles())
        except evaluation.MissingArticles as exc:
            raise CommandError(
                f"Labelled articles not published here: {exc}. Load the demo first "
                "(bihuan demo load) or evaluate on a database that has them."
            ) from exc
        dev = [q for q in questions if q.split == "dev"]
        chosen = "given" if threshold is not None else "default"
        if options["tune"]:
            examples = training.labelled_examples(dev, slugs)
            try:
                crossed = training.cross_validate(examples)
            except DomainError as exc:
                raise CommandError(str(exc)) from exc
            threshold = evaluation.tune_threshold(
                [
                    evaluation.Asked(dev[i], slugs.get(m.article_id, NONE) if m else NONE, m)
                    for i, m in crossed
                ]
            )
            chosen = "tuned on dev, cross-validated"
        if threshold is None:
            threshold = DEFAULT_THRESHOLD
        split = options["split"]
        part = [q for q in questions if split == "all" or q.split == split]
        asked = evaluation.ask_all(part, slugs)
        loaded = active_model()
        model = loaded[0] if loaded else "none (word coverage, answers only at confidence 1)"
        self.stdout.write(
            f"labelled questions: {len(questions)} (dev {len(dev)}, "
            f"test {len(questions) - len(dev)}); threshold {threshold:.2f} ({chosen}); "
            f"model {model}"
        )
        for language in ("all", "zh", "en"):
            subset = [a for a in asked if language == "all" or a.item.language == language]
            result = evaluation.measure(subset, threshold=threshold)
            self.stdout.write(
                f"{split} {language}: precision {result.precision:.3f} "
                f"({result.right}/{result.answered} right, Wilson 95% lower bound "
                f"{result.precision_lower_bound:.3f}), "
                f"answered {result.share_answered:.1%} of {result.questions}, "
                f"right answers for {result.recall:.1%} of {result.answerable} answerable"
            )
        if options["curve"]:
            self.stdout.write("threshold | precision | answered")
            for step in range(50, 101, 5):
                result = evaluation.measure(asked, threshold=step / 100)
                self.stdout.write(
                    f"{step / 100:.2f} | {result.precision:.3f} ({result.right}/{result.answered})"
                    f" | {result.share_answered:.1%}"
                )

    def _train(self, options: dict[str, Any]) -> None:
        actor = None
        if options["username"]:
            actor = User.objects.filter(username=options["username"]).first()
            if actor is None:
                raise CommandError(f"No user {options['username']!r}.")
        try:
            questions = evaluation.load_questions(options["questions"])
            articles = evaluation.load_articles(options["articles"])
        except (OSError, KeyError, TypeError, ValueError) as exc:
            raise CommandError(f"Cannot read the labelled questions: {exc}") from exc
        if options["labelled"] == "dev":
            questions = [q for q in questions if q.split == "dev"]
        labelled = training.labelled_examples(
            questions, evaluation.article_slugs(articles, strict=False)
        )
        inserted = training.insertion_examples()
        try:
            row = training.train_answer_model(labelled + inserted, actor=actor)
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"answer model {row.version} trained on {row.sample_count} questions "
            f"({len(labelled)} labelled, {len(inserted)} from inserted articles) "
            f"in {row.metrics['train_seconds']} s; it is now active."
        )
