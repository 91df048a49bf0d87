"""Measuring the text classifier on a labelled train/test pair: quality and speed.

Pure functions over lists of texts, used by ``bihuan triage benchmark``; nothing here touches
the database.
"""

from __future__ import annotations

import random
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from bihuan.triage.classifier import TextClassifier

LATENCY_SAMPLE = 200


@dataclass(frozen=True)
class ClassScore:
    """Precision, recall and F1 of one label on the evaluation set."""

    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass
class BenchmarkResult:
    """What one benchmark run measured. Quality fields are None without gold labels."""

    n_train: int
    n_test: int
    train_seconds: float
    train_cpu_seconds: float
    predict_per_second: float
    latency_ms: float
    accuracy: float | None = None
    macro_f1: float | None = None
    per_class: list[ClassScore] = field(default_factory=list)
    in_scope_accuracy: float | None = None
    none_recall: float | None = None
    none_precision: float | None = None
    predicted_counts: dict[str, int] = field(default_factory=dict)


def split_dev(
    texts: Sequence[str], labels: Sequence[str], *, fraction: float, seed: int
) -> tuple[list[str], list[str], list[str], list[str]]:
    """A stratified random split: (train texts, train labels, dev texts, dev labels).

    Each label keeps about ``fraction`` of its rows in dev, and at least one row in train.
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"the dev fraction must be between 0 and 1, got {fraction}")
    by_label: dict[str, list[int]] = defaultdict(list)
    for row, label in enumerate(labels):
        by_label[label].append(row)
    generator = random.Random(seed)  # noqa: S311 - a reproducible split, not a secret
    dev_rows: set[int] = set()
    for label in sorted(by_label):
        rows = by_label[label]
        generator.shuffle(rows)
        take = min(round(len(rows) * fraction), len(rows) - 1)
        dev_rows.update(rows[:take])
    train_texts, train_labels, dev_texts, dev_labels = [], [], [], []
    for row, (text, label) in enumerate(zip(texts, labels, strict=True)):
        if row in dev_rows:
            dev_texts.append(text)
            dev_labels.append(label)
        else:
            train_texts.append(text)
            train_labels.append(label)
    if not dev_texts:
        raise ValueError("the dev split is empty: too few rows for this fraction")
    return train_texts, train_labels, dev_texts, dev_labels


def class_scores(gold: Sequence[str], predicted: Sequence[str]) -> list[ClassScore]:
    """Per-label scores over every label that is gold or predicted, best F1 first."""
    true_positive: Counter[str] = Counter()
    gold_count = Counter(gold)
    predicted_count = Counter(predicted)
    for expected, answer in zip(gold, predicted, strict=True):
        if expected == answer:
            true_positive[expected] += 1
    scores = []
    for label in set(gold_count) | set(predicted_count):
        hits = true_positive[label]
        precision = hits / predicted_count[label] if predicted_count[label] else 0.0
        recall = hits / gold_count[label] if gold_count[label] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores.append(ClassScore(label, precision, recall, f1, gold_count[label]))
    scores.sort(key=lambda score: (-score.f1, -score.support, score.label))
    return scores


def run_benchmark(
    classifier: TextClassifier,
    train_texts: Sequence[str],
    train_labels: Sequence[str],
    test_texts: Sequence[str],
    test_labels: Sequence[str] | None,
) -> BenchmarkResult:
    """Train on the first pair, predict the test texts, and score them if labels are given.

    Times are wall-clock; training CPU time is reported too, as wall-clock time means little
    on a machine shared with other work. Throughput is one batch over all test texts, after
    a warm-up call that builds the model's lazy caches (as a long-running server would have).
    Latency is one text at a time.
    """
    started, cpu_started = time.perf_counter(), time.process_time()
    classifier.fit(train_texts, train_labels)
    train_seconds = time.perf_counter() - started
    train_cpu_seconds = time.process_time() - cpu_started

    classifier.predict(test_texts[:1])
    started = time.perf_counter()
    predictions = classifier.predict(test_texts)
    predict_seconds = time.perf_counter() - started
    sample = test_texts[:LATENCY_SAMPLE]
    started = time.perf_counter()
    for text in sample:
        classifier.predict([text])
    latency_ms = (time.perf_counter() - started) / len(sample) * 1000

    predicted = [prediction.label for prediction in predictions]
    result = BenchmarkResult(
        n_train=len(train_texts),
        n_test=len(test_texts),
        train_seconds=train_seconds,
        train_cpu_seconds=train_cpu_seconds,
        predict_per_second=len(test_texts) / max(predict_seconds, 1e-9),
        latency_ms=latency_ms,
        predicted_counts=dict(Counter(predicted).most_common()),
    )
    if test_labels is None:
        return result
    gold = list(test_labels)
    per_class = class_scores(gold, predicted)
    result.accuracy = sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold)
    result.macro_f1 = sum(score.f1 for score in per_class) / len(per_class)
    result.per_class = per_class
    none_label = classifier.none_label
    if none_label in gold:
        pairs = list(zip(gold, predicted, strict=True))
        in_scope = [(g, p) for g, p in pairs if g != none_label]
        out_of_scope = [p for g, p in pairs if g == none_label]
        rejected = [g for g, p in pairs if p == none_label]
        result.in_scope_accuracy = (
            sum(g == p for g, p in in_scope) / len(in_scope) if in_scope else None
        )
        result.none_recall = sum(p == none_label for p in out_of_scope) / len(out_of_scope)
        result.none_precision = (
            sum(g == none_label for g in rejected) / len(rejected) if rejected else None
        )
    return result
