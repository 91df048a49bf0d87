"""Measure automatic answers on the labelled questions (``labelled/answers.tsv``).

Each question is asked of the knowledge base as the answerer asks it (``answering``); at a
threshold, a question is *answered* when its best article's confidence reaches it, and the
answer is *right* when that article is the labelled one. Precision is right / answered; the
share answered is answered / all questions of the part. The threshold is tuned on the dev part
only: the lowest one whose dev precision reaches the target, raised by a safety margin.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bihuan.knowledge.answerer import is_confident, rank_many
from bihuan.knowledge.answering import AnswerMatch
from bihuan.knowledge.choices import ArticleStatus, Audience
from bihuan.knowledge.models import Article

LABELLED = Path(__file__).resolve().parent / "labelled"
NONE = "none"


class MissingArticles(Exception):
    """Articles of the labelled set are not published in this database."""


@dataclass(frozen=True)
class LabelledQuestion:
    id: str
    language: str
    split: str
    answer: str
    question: str


@dataclass(frozen=True)
class Asked:
    """A labelled question and what the knowledge base answered."""

    item: LabelledQuestion
    article: str  # the slug of the best article, or "none"
    match: AnswerMatch | None

    @property
    def confidence(self) -> float:
        return self.match.confidence if self.match else 0.0

    def is_answered(self, threshold: float) -> bool:
        """Whether the answerer would send the best article at ``threshold``."""
        return (
            self.article != NONE and self.match is not None and is_confident(self.match, threshold)
        )


@dataclass(frozen=True)
class Result:
    threshold: float
    questions: int
    answerable: int
    answered: int
    right: int

    @property
    def precision(self) -> float:
        return self.right / self.answered if self.answered else 1.0

    @property
    def precision_lower_bound(self) -> float:
        """The Wilson score interval's lower end for the precision, at 95 %."""
        return wilson_lower_bound(self.right, self.answered)

    @property
    def share_answered(self) -> float:
        return self.answered / self.questions if self.questions else 0.0

    @property
    def recall(self) -> float:
        return self.right / self.answerable if self.answerable else 0.0


def wilson_lower_bound(successes: int, trials: int, z: float = 1.96) -> float:
    """The lower end of the Wilson score interval of ``successes`` / ``trials``."""
    if not trials:
        return 0.0
    p = successes / trials
    centre = p + z * z / (2 * trials)
    spread = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return (centre - spread) / (1 + z * z / trials)


def load_questions(path: Path = LABELLED / "answers.tsv") -> list[LabelledQuestion]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [LabelledQuestion(**row) for row in csv.DictReader(handle, delimiter="\t")]


def load_articles(path: Path = LABELLED / "articles.tsv") -> dict[str, dict[str, str]]:
    """slug → {language: title}."""
    with path.open(encoding="utf-8", newline="") as handle:
        return {
            row["slug"]: {"zh": row["zh"], "en": row["en"]}
            for row in csv.DictReader(handle, delimiter="\t")
        }


def article_slugs(articles: dict[str, dict[str, str]], *, strict: bool = True) -> dict[int, str]:
    """article id → slug, for the labelled articles published and public in this database
    (``strict``: all of them, or ``MissingArticles``)."""
    wanted = {
        (language, title): slug for slug, t in articles.items() for language, title in t.items()
    }
    rows = Article.objects.filter(
        status=ArticleStatus.PUBLISHED, audience=Audience.PUBLIC
    ).values_list("pk", "language", "title")
    found = {int(pk): wanted[(lang, title)] for pk, lang, title in rows if (lang, title) in wanted}
    missing = sorted(
        f"{title} ({language})"
        for (language, title), slug in wanted.items()
        if (language, title) not in {(lang, t) for lang, t in _titles(found, articles)}
    )
    if missing and strict:
        raise MissingArticles(", ".join(missing))
    return found


def _titles(
    found: dict[int, str], articles: dict[str, dict[str, str]]
) -> Iterable[tuple[str, str]]:
    slugs = set(found.values())
    for slug in slugs:
        yield from articles[slug].items()


def ask_all(questions: Sequence[LabelledQuestion], slugs: dict[int, str]) -> list[Asked]:
    """Each question asked as the answerer asks it (``rank_many``: the same rankings, read
    together)."""
    asked = []
    ranked = rank_many([(item.question, item.language) for item in questions])
    for item, matches in zip(questions, ranked, strict=True):
        match = matches[0] if matches else None
        article = slugs.get(match.article_id, NONE) if match else NONE
        asked.append(Asked(item, article, match))
    return asked


def measure(asked: Sequence[Asked], *, threshold: float) -> Result:
    answered = [a for a in asked if a.is_answered(threshold)]
    return Result(
        threshold=threshold,
        questions=len(asked),
        answerable=sum(1 for a in asked if a.item.answer != NONE),
        answered=len(answered),
        right=sum(1 for a in answered if a.article == a.item.answer),
    )


# The threshold is tuned on cross-validated answers of the dev part (each question asked of a
# model trained without it); the final model learns from all of dev, and the test part is
# other questions: the tuned threshold is raised by this margin.
SAFETY_MARGIN = 0.02


def tune_threshold(
    asked: Sequence[Asked], *, target: float = 0.97, margin: float = SAFETY_MARGIN
) -> float:
    """The lowest threshold (a step of 0.01) whose precision on ``asked`` reaches ``target``
    and stays there for every higher one, raised by ``margin`` (at most 1)."""
    best = 1.0
    for step in range(100, -1, -1):
        threshold = step / 100
        if measure(asked, threshold=threshold).precision < target:
            break
        best = threshold
    return min(1.0, round(best + margin, 2))
