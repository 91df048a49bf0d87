"""The automatic answerer's choice of article and its confidence.

With an active trained answer model (``bihuan knowledge train-answers``), the model ranks the
candidates (``answer_model``): its confidence is the probability that the article is the
right answer, and a channel's threshold applies to it. Without one, the word-coverage score
(``answering``) ranks them, and it answers only when it is complete and clear (confidence 1,
``UNTRAINED_THRESHOLD``) whatever a channel's threshold says: fewer answers rather than wrong
ones until the organisation's own labelled questions have trained a model.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from bihuan.knowledge.answering import (
    AnswerMatch,
    question_language,
    read_questions,
    score_question,
)
from bihuan.knowledge.models import AnswerModelVersion

if TYPE_CHECKING:
    # scikit-learn, SciPy and NumPy (≈ 150 MB in every process that imports them) are
    # loaded by the first use of a trained model, not by every web worker at start.
    from bihuan.knowledge.answer_model import AnswerModel, Reading

# Chosen on the dev part of the labelled questions (cross-validated; see docs/knowledge.md).
DEFAULT_THRESHOLD = 0.97
# Without a trained model: only a question every word of which one article covers, clearly.
UNTRAINED_THRESHOLD = 1.0

_lock = threading.Lock()
_loaded: dict[str, AnswerModel] = {}


def active_model() -> tuple[str, AnswerModel] | None:
    """The active trained model and its version (one query; the file is read once per
    process and version), or None when there is none or its file is unreadable."""
    row = AnswerModelVersion.objects.filter(is_active=True).values_list("version", "path").first()
    if row is None:
        return None
    version, path = row
    from bihuan.knowledge.answer_model import AnswerModel, ModelFileError

    with _lock:
        model = _loaded.get(version)
        if model is None:
            try:
                model = AnswerModel.load(Path(path))
            except ModelFileError:
                return None
            _loaded[version] = model
    return version, model


def read(question: str, language: str, guesses: Sequence[int]) -> Reading:
    """``question`` read against the knowledge base, with the model's guesses as candidates."""
    return read_many([(question, language, guesses)])[0]


def read_many(asked: Sequence[tuple[str, str, Sequence[int]]]) -> list[Reading]:
    """``read`` of each (question, language, guesses), in a few statements for all."""
    from bihuan.knowledge.answer_model import Reading

    return [
        Reading(item[0], question)
        for item, question in zip(asked, read_questions(asked), strict=True)
    ]


def rank_answers(question: str, *, language: str = "") -> list[AnswerMatch]:
    """Published public articles that may answer ``question``, most confident first."""
    return rank_many([(question, language)])[0]


def rank_many(questions: Sequence[tuple[str, str]]) -> list[list[AnswerMatch]]:
    """``rank_answers`` of each (question, language): the model classifies them together and
    the database reads them in a few statements (``read_questions``), the same rankings."""
    asked = [
        (question, language or question_language(question)) for question, language in questions
    ]
    loaded = active_model()
    if loaded is None:
        return [score_question(q) for q in read_questions([(q, lang, ()) for q, lang in asked])]
    version, model = loaded
    classified = model.classify_many([question for question, _language in asked])
    readings = read_many(
        [
            (question, language, model.guesses(question, reading))
            for (question, language), reading in zip(asked, classified, strict=True)
        ]
    )
    return [
        [replace(match, model=version) for match in model.rank(reading, classes)]
        for reading, classes in zip(readings, classified, strict=True)
    ]


def best_answer(question: str, *, language: str = "") -> AnswerMatch | None:
    """The most confident article for ``question``, or None when none matches at all."""
    matches = rank_answers(question, language=language)
    return matches[0] if matches else None


def is_confident(match: AnswerMatch, threshold: float) -> bool:
    """Whether ``match`` is sure enough to be sent at ``threshold`` (a channel's)."""
    if not match.model:
        threshold = max(threshold, UNTRAINED_THRESHOLD)
    return match.confidence >= threshold
