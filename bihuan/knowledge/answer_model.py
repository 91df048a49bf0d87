"""The trained answer model: how likely one public article answers a customer's question,
learnt from the organisation's own labelled questions.

Word coverage (``answering``) cannot tell a question about a neighbouring topic from the real
thing: *a refund without returning the item* uses only words the refund article uses. This
model learns from questions labelled with the article that answers them, or with none, and
from the articles themselves:

- a **question classifier**: TF-IDF over jieba words (and word pairs) and character 1–3-grams,
  a logistic regression over the labels (each public article, and *none*); the articles'
  titles and answers are examples of their own label;
- a **reranker**: a logistic regression over features of each (question, candidate article)
  pair — the word coverage and its title share, the margin to the next article, rarity of the
  words no article uses, character-bigram containment, the twist rule, the classifier's
  probability of the article and of *none*, and the nearest labelled questions of the article
  and of *none* (cosine over the same TF-IDF).

The confidence of an article is the reranker's probability that it is the right answer. The
classifier's features of the reranker's training pairs are out-of-fold (5 folds), so the
reranker learns how far to trust the classifier on questions it has not seen.

Everything is numpy and scikit-learn, trained in seconds, nothing downloaded. Models are saved
with joblib (a pickle: load only files this application wrote).
"""

from __future__ import annotations

import itertools
import math
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import numpy.typing as npt
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import FeatureUnion
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from bihuan.core.segmentation import words as segment
from bihuan.knowledge.answering import FILLER, SCORING, AnswerMatch, Question, score_question

MODEL_FORMAT = "bihuan.knowledge.AnswerModel"
# Bump when the features or the saved layout change: older files are refused.
MODEL_VERSION = "1"
NONE = 0  # the classifier's label of a question no public article answers
FOLDS = 5
SOFTMAX_SCALE = 3.0
COMMON_LABELS = 3
# The classifier's guesses outside the full-text candidates that are read as candidates too.
GUESSES = 2
GUESS_FLOOR = 0.15

FloatArray = npt.NDArray[np.float64]
# A question's label probabilities (and answerable score) and its cosine to each labelled one.
Classified = tuple[FloatArray, FloatArray]
_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_LATIN_WORD = re.compile(r"[a-z0-9]+")
_QUESTION_MARK = re.compile(r"[?？]")

FEATURES = (
    "coverage",
    "title_coverage",
    "coverage_confidence",
    "coverage_rank",
    "coverage_margin",
    "unknown_share",
    "content_words",
    "bigram_containment",
    "twist",
    "question_marks",
    "classifier_article",
    "classifier_none",
    "classifier_other",
    "classifier_is_best",
    "nearest_article",
    "nearest_none",
    "nearest_other",
    "uncovered_words",
    "uncovered_share",
    "answerable",
)


class ModelFileError(ValueError):
    """A file is missing, not an answer model, or from an incompatible version."""


@dataclass(frozen=True)
class Example:
    """A labelled question: the public article that answers it, or ``NONE`` (0)."""

    question: str
    language: str
    article_id: int


@dataclass(frozen=True)
class Reading:
    """A question as the database reads it: its words and candidate articles (``answering``)."""

    text: str
    question: Question


# (question, language, the classifier's guesses) → the question read against the database.
Reader = Callable[[str, str, Sequence[int]], Reading]
# The same for many questions at once (in the same order).
ManyReader = Callable[[Sequence[tuple[str, str, Sequence[int]]]], list[Reading]]


@lru_cache(maxsize=4096)
def _tokens(text: str) -> tuple[str, ...]:
    """jieba words of Chinese runs, lower-cased words elsewhere (punctuation dropped)."""
    out: list[str] = []
    for word in segment(text.lower()):
        word = word.strip()
        if word and (_CJK_RUN.fullmatch(word) or _LATIN_WORD.fullmatch(word)):
            out.append(word)
    return tuple(out)


def _word_analyzer(text: str) -> list[str]:
    tokens = _tokens(text)
    return list(tokens) + [f"{a} {b}" for a, b in itertools.pairwise(tokens)]


def _vectorizer() -> FeatureUnion:
    return FeatureUnion(
        [
            ("words", TfidfVectorizer(analyzer=_word_analyzer, sublinear_tf=True)),
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, lowercase=True
                ),
            ),
        ]
    )


def _bigrams(text: str) -> set[str]:
    """Chinese character bigrams (single characters of one-character runs) and English words."""
    lowered = text.lower()
    grams: set[str] = set(_LATIN_WORD.findall(lowered))
    for run in _CJK_RUN.findall(lowered):
        if len(run) == 1:
            grams.add(run)
        grams.update(run[i : i + 2] for i in range(len(run) - 1))
    return grams


@lru_cache(maxsize=1024)
def _token_bigrams(tokens: frozenset[str]) -> frozenset[str]:
    """``_bigrams`` of an article's index words."""
    grams: set[str] = set()
    for token in tokens:
        grams |= _bigrams(token)
    return frozenset(grams)


class _Classifier:
    """Question text → P(label) over the public articles and none."""

    def __init__(self) -> None:
        self.vectorizer = _vectorizer()
        self.model = LinearSVC(C=1.0)
        # Answerable or not, whatever the article: words such as 错, 改, 丢, wrong, instead.
        self.answerable = LinearSVC(C=0.5)
        self.labels: list[int] = []
        # The labelled questions' vectors, for the nearest-question features.
        self.memory: sparse.csr_matrix | None = None
        self.memory_labels: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        # The words each label's texts use, and the words of three labels or more (asking
        # words: 怎么, 吗, can, my).
        self.known: dict[int, frozenset[str]] = {}
        self.common: frozenset[str] = frozenset()

    def fit(self, texts: Sequence[str], labels: Sequence[int], questions: int) -> _Classifier:
        """``texts[:questions]`` are labelled questions, the rest the articles' own texts."""
        matrix = self.vectorizer.fit_transform(list(texts))
        self.model.fit(matrix, list(labels))
        answerable = [int(label != NONE) for label in labels[:questions]]
        self.answerable.fit(matrix[:questions], answerable)
        self.labels = [int(label) for label in self.model.classes_]
        self.memory = sparse.csr_matrix(matrix[:questions])
        self.memory_labels = np.asarray(labels[:questions], dtype=np.int64)
        known: dict[int, set[str]] = {}
        for text, label in zip(texts, labels, strict=True):
            known.setdefault(label, set()).update(_tokens(text))
        self.known = {label: frozenset(words) for label, words in known.items()}
        spread: dict[str, int] = {}
        for words in known.values():
            for word in words:
                spread[word] = spread.get(word, 0) + 1
        self.common = frozenset(w for w, n in spread.items() if n >= COMMON_LABELS)
        return self

    def uncovered(self, text: str, label: int, tokens: frozenset[str]) -> tuple[int, int]:
        """How many of the question's words neither the article (``tokens``), nor the
        questions labelled with it, nor three labels use; and how many words it has."""
        words = [w for w in _tokens(text) if w not in self.common and w not in FILLER]
        known = self.known.get(label, frozenset())
        missing = [w for w in words if w not in known and w not in tokens]
        return len(missing), len(words)

    def read(self, texts: Sequence[str]) -> tuple[FloatArray, FloatArray]:
        """Probabilities per label (and, last, the answerable score) and cosine to each
        remembered question."""
        matrix = self.vectorizer.transform(list(texts))
        answerable = np.asarray(self.answerable.decision_function(matrix), dtype=np.float64)
        scores = np.asarray(self.model.decision_function(matrix), dtype=np.float64)
        if scores.ndim == 1:  # two labels: one score for the second
            scores = np.stack([-scores, scores], axis=1)
        # A softmax of the SVM's scores (the reranker learns how far to trust them).
        exp = np.exp(SOFTMAX_SCALE * (scores - scores.max(axis=1, keepdims=True)))
        probabilities = exp / exp.sum(axis=1, keepdims=True)
        probabilities = np.concatenate([probabilities, answerable[:, None]], axis=1)
        assert self.memory is not None
        similarities = np.asarray((matrix @ self.memory.T).toarray(), dtype=np.float64)
        # FeatureUnion of two l2-normalised parts: the dot product is at most 2.
        return probabilities, similarities / 2

    def probability(self, row: FloatArray, label: int) -> float:
        try:
            return float(row[self.labels.index(label)])
        except ValueError:
            return 0.0

    def guesses(self, row: FloatArray) -> list[int]:
        """The articles the classifier thinks likeliest (at least ``GUESS_FLOOR``)."""
        row = row[:-1]
        order = np.argsort(-row)
        return [
            self.labels[i]
            for i in order[: GUESSES + 1]
            if self.labels[i] != NONE and row[i] >= GUESS_FLOOR
        ][:GUESSES]


def _pair_features(
    reading: Reading,
    classifier: _Classifier,
    probabilities: FloatArray,
    similarities: FloatArray,
) -> tuple[list[int], list[list[float]]]:
    """The candidates of ``reading`` and one feature row each (``FEATURES``)."""
    question = reading.question
    matches = {m.article_id: m for m in score_question(question, SCORING)}
    coverages = sorted((m.coverage for m in matches.values()), reverse=True)
    total = sum(w.rarity for w in question.words) or 1.0
    unknown = sum(w.rarity for w in question.words if w.frequency == 0) / total
    grams = _bigrams(reading.text)
    marks = len(_QUESTION_MARK.findall(reading.text))
    none_probability = classifier.probability(probabilities, NONE)
    best_label = classifier.labels[int(np.argmax(probabilities[:-1]))]
    labels = classifier.memory_labels

    def nearest(mask: npt.NDArray[np.bool_]) -> float:
        return float(similarities[mask].max()) if mask.any() else 0.0

    ids: list[int] = []
    rows: list[list[float]] = []
    for candidate in question.candidates:
        pk = candidate.article_id
        match = matches.get(pk)
        coverage = match.coverage if match else 0.0
        others = [c for c in coverages if c != coverage] or [0.0]
        best_other = max(others) if coverages.count(coverage) < 2 else coverage
        article_probability = classifier.probability(probabilities, pk)
        other_probability = max(
            (
                float(p)
                for label, p in zip(classifier.labels, probabilities[:-1], strict=True)
                if label not in (pk, NONE)
            ),
            default=0.0,
        )
        containment = len(grams & _token_bigrams(candidate.tokens)) / len(grams) if grams else 0.0
        missing, content = classifier.uncovered(reading.text, pk, candidate.tokens)
        ids.append(pk)
        rows.append(
            [
                coverage,
                match.title_coverage if match else 0.0,
                match.confidence if match else 0.0,
                float(coverages.index(coverage)) if coverages else 0.0,
                coverage - best_other,
                unknown,
                math.log1p(len(question.words)),
                containment,
                float(question.has_twist),
                float(marks > 1),
                article_probability,
                none_probability,
                other_probability,
                float(best_label == pk),
                nearest(labels == pk),
                nearest(labels == NONE),
                nearest((labels != pk) & (labels != NONE)),
                float(min(missing, 3)),
                missing / content if content else 1.0,
                float(probabilities[-1]),
            ]
        )
    return ids, rows


@dataclass
class AnswerModel:
    """A trained classifier and reranker (see the module's docstring)."""

    classifier: _Classifier = field(default_factory=_Classifier)
    scaler: StandardScaler = field(default_factory=StandardScaler)
    reranker: LogisticRegression = field(
        default_factory=lambda: LogisticRegression(C=0.5, solver="liblinear")
    )
    metadata: dict[str, Any] = field(default_factory=dict)

    def fit(
        self,
        examples: Sequence[Example],
        articles: dict[int, str],
        read: Reader,
        *,
        seed: int = 0,
        read_many: ManyReader | None = None,
    ) -> AnswerModel:
        """Learn from ``examples`` and the public articles' texts (id → title and answer);
        ``read`` reads a question against the knowledge base with the classifier's guesses
        (``read_many``, when given, reads all the training questions at once instead)."""
        labels = [e.article_id for e in examples]
        texts = [e.question for e in examples]
        article_ids = list(articles)
        all_texts = texts + [articles[pk] for pk in article_ids]
        all_labels = labels + article_ids
        # Out-of-fold classifier readings of the training questions.
        out_of_fold: list[tuple[_Classifier, FloatArray, FloatArray] | None] = [None] * len(texts)
        fold_list = folds(labels, seed)
        for train, held in fold_list:
            fold_texts = [texts[i] for i in train] + [articles[pk] for pk in article_ids]
            fold_labels = [labels[i] for i in train] + article_ids
            fold = _Classifier().fit(fold_texts, fold_labels, len(train))
            probabilities, similarities = fold.read([texts[i] for i in held])
            for row, i in enumerate(held):
                out_of_fold[i] = (fold, probabilities[row], similarities[row])
        features: list[list[float]] = []
        targets: list[int] = []
        entries = [entry for entry in out_of_fold if entry is not None]
        assert len(entries) == len(examples)
        asked = [
            (example.question, example.language, entry[0].guesses(entry[1]))
            for example, entry in zip(examples, entries, strict=True)
        ]
        readings = read_many(asked) if read_many else [read(*item) for item in asked]
        for i, (reading, entry) in enumerate(zip(readings, entries, strict=True)):
            ids, rows = _pair_features(reading, *entry)
            features += rows
            targets += [int(pk == labels[i]) for pk in ids]
        self.classifier = _Classifier().fit(all_texts, all_labels, len(texts))
        if len(set(targets)) < 2:
            raise ValueError("The labelled questions need right and wrong candidates.")
        matrix = self.scaler.fit_transform(np.asarray(features, dtype=np.float64))
        self.reranker.fit(matrix, targets)
        return self

    def classify(self, text: str) -> Classified:
        """The classifier's reading of one question (what ``guesses`` and ``rank`` use)."""
        probabilities, similarities = self.classifier.read([text])
        return probabilities[0], similarities[0]

    def classify_many(self, texts: Sequence[str]) -> list[Classified]:
        """``classify`` of each text, the classifier reading them together (row by row the
        same numbers)."""
        if not texts:
            return []
        probabilities, similarities = self.classifier.read(texts)
        return [(probabilities[i], similarities[i]) for i in range(len(texts))]

    def guesses(self, text: str, classified: Classified | None = None) -> list[int]:
        """Articles worth reading as candidates besides the full-text index's."""
        probabilities, _similarities = classified or self.classify(text)
        return self.classifier.guesses(probabilities)

    def rank(self, reading: Reading, classified: Classified | None = None) -> list[AnswerMatch]:
        """The candidates of ``reading``, most likely right first."""
        probabilities, similarities = classified or self.classify(reading.text)
        ids, rows = _pair_features(reading, self.classifier, probabilities, similarities)
        if not ids:
            return []
        scores = self.reranker.predict_proba(
            self.scaler.transform(np.asarray(rows, dtype=np.float64))
        )[:, 1]
        coverage = {m.article_id: m for m in score_question(reading.question, SCORING)}
        matches = [
            AnswerMatch(
                article_id=pk,
                confidence=round(float(score), 4),
                coverage=coverage[pk].coverage if pk in coverage else 0.0,
                title_coverage=coverage[pk].title_coverage if pk in coverage else 0.0,
            )
            for pk, score in zip(ids, scores, strict=True)
        ]
        return sorted(matches, key=lambda m: -m.confidence)

    def save(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump({"format": MODEL_FORMAT, "version": MODEL_VERSION, "model": self}, path)
        return path

    @classmethod
    def load(cls, path: Path) -> AnswerModel:
        try:
            payload = joblib.load(path)  # a pickle: only files this application wrote
        except (OSError, EOFError, ValueError) as exc:
            raise ModelFileError(f"Cannot read {path}: {exc}") from exc
        if not isinstance(payload, dict) or payload.get("format") != MODEL_FORMAT:
            raise ModelFileError(f"{path} is not an answer model.")
        if payload.get("version") != MODEL_VERSION:
            raise ModelFileError(f"{path} is from an incompatible version.")
        model = payload["model"]
        if not isinstance(model, cls):
            raise ModelFileError(f"{path} is not an answer model.")
        return model


def folds(labels: Sequence[int], seed: int) -> list[tuple[list[int], list[int]]]:
    """Stratified folds of the examples' indexes: (training, held out) for each fold."""
    if len(labels) < 2 * FOLDS or max(labels.count(label) for label in set(labels)) < FOLDS:
        raise ValueError(f"Too few labelled questions to train on (need {2 * FOLDS}).")
    folder = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        # A label with fewer questions than folds is spread as well as it can be.
        warnings.simplefilter("ignore", UserWarning)
        return [
            (list(map(int, train)), list(map(int, held)))
            for train, held in folder.split(np.zeros(len(labels)), labels)
        ]
