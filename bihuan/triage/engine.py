"""Combining rules, the emotion lexicon and trained models into one decision per field.

Pure functions over text: no database, so the same code classifies a live ticket, previews
edited rules over recent tickets, and runs in benchmarks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from bihuan.triage.choices import DecisionSource, TriageField
from bihuan.triage.emotion import read_emotion
from bihuan.triage.reasons import readable_reasons
from bihuan.triage.rules import CompiledRule, RuleScore, detect_language, match_rules

ALL_FIELDS: tuple[str, ...] = tuple(TriageField.values)
HIGH_URGENCY = "3"


@dataclass(frozen=True)
class Prediction:
    label: str
    confidence: float
    reasons: list[str] = field(default_factory=list)


class Predictor(Protocol):
    """A trained model for one field (see ``triage.models_store``)."""

    version: str

    def predict_one(self, text: str) -> Prediction: ...


@dataclass(frozen=True)
class Decision:
    """What triage concludes for one field, how sure it is, and why."""

    field: str
    value: str
    confidence: float
    source: str
    model_version: str = ""
    reasons: tuple[str, ...] = ()


def rule_confidence(scores: dict[str, RuleScore]) -> tuple[RuleScore, float]:
    """The best-scoring value and a confidence that grows with hits and shrinks with rivals."""
    ranked = sorted(scores.values(), key=lambda s: (-s.is_always, -s.score, s.value))
    best = ranked[0]
    total = sum(s.score for s in ranked)
    confidence = min(0.95, 0.45 + 0.2 * best.score) * (best.score / total if total else 1.0)
    return best, round(confidence, 3)


def _combine(
    field_name: str,
    rules: dict[str, RuleScore] | None,
    prediction: Prediction | None,
    model_version: str,
    prior: Decision | None = None,
) -> Decision | None:
    best: RuleScore | None = None
    rule_conf = 0.0
    if rules:
        best, rule_conf = rule_confidence(rules)
        if best.is_always:
            return Decision(
                field_name,
                best.value,
                1.0,
                DecisionSource.RULE,
                "",
                tuple(readable_reasons(best.matched)),
            )
    candidates: list[Decision] = []
    if best is not None:
        candidates.append(
            Decision(
                field_name, best.value, rule_conf, DecisionSource.RULE, "", tuple(best.matched[:5])
            )
        )
    if prior is not None:
        candidates.append(prior)
    if prediction is not None:
        candidates.append(
            Decision(
                field_name,
                prediction.label,
                round(prediction.confidence, 3),
                DecisionSource.MODEL,
                model_version,
                tuple(prediction.reasons[:5]),
            )
        )
    if not candidates:
        return None
    candidates.sort(key=lambda d: -d.confidence)
    top = candidates[0]
    agreeing = [d for d in candidates[1:] if d.value == top.value]
    rivals = [d for d in candidates[1:] if d.value != top.value]
    confidence = top.confidence
    for other in agreeing:
        confidence = 1 - (1 - confidence) * (1 - other.confidence)
    for other in rivals:
        confidence -= 0.5 * other.confidence * (1 - confidence)
    reasons = list(top.reasons)
    for other in agreeing:
        reasons += [r for r in other.reasons if r not in reasons]
    source = DecisionSource.COMBINED if agreeing else top.source
    version = next((d.model_version for d in [top, *agreeing] if d.model_version), "")
    return Decision(
        field_name,
        top.value,
        round(max(confidence, 0.0), 3),
        source,
        version,
        tuple(readable_reasons(reasons)),
    )


def _prefer_children(
    scores: dict[str, RuleScore], parents: Mapping[str, str]
) -> dict[str, RuleScore]:
    merged = {
        value: RuleScore(s.value, s.score, s.is_always, list(s.matched), list(s.rule_ids))
        for value, s in scores.items()
    }
    absorbed: set[str] = set()
    for value, entry in merged.items():
        parent = parents.get(value)
        if parent and parent in scores:
            entry.score += scores[parent].score
            entry.is_always = entry.is_always or scores[parent].is_always
            entry.matched += [m for m in scores[parent].matched if m not in entry.matched]
            absorbed.add(parent)
    return {value: entry for value, entry in merged.items() if value not in absorbed}


def decide(
    text: str,
    *,
    rules: list[CompiledRule],
    predictors: Mapping[str, Predictor] | None = None,
    fields: Iterable[str] = ALL_FIELDS,
    category_parents: Mapping[str, str] | None = None,
) -> dict[str, Decision]:
    """One decision per requested field (a field with no evidence at all is left out).

    ``category_parents`` maps a category to its parent: evidence for a parent also supports
    its matched children, and the most specific matched category is preferred.
    """
    predictors = predictors or {}
    wanted = list(fields)
    scores = match_rules(text, rules, language=detect_language(text))
    if category_parents and TriageField.CATEGORY in scores:
        scores[TriageField.CATEGORY] = _prefer_children(
            scores[TriageField.CATEGORY], category_parents
        )
    decisions: dict[str, Decision] = {}
    for name in wanted:
        predictor = predictors.get(name)
        prediction = predictor.predict_one(text) if predictor is not None else None
        prior = None
        if name == TriageField.EMOTION:
            reading = read_emotion(text)
            prior = Decision(
                name,
                reading.emotion,
                reading.confidence,
                DecisionSource.LEXICON,
                "",
                tuple(reading.reasons),
            )
        decision = _combine(
            name,
            scores.get(name),
            prediction,
            predictor.version if predictor is not None else "",
            prior,
        )
        if decision is not None:
            decisions[name] = decision
    emotion = decisions.get(TriageField.EMOTION)
    urgency = decisions.get(TriageField.URGENCY)
    if (
        TriageField.URGENCY in wanted
        and emotion is not None
        and emotion.value == "angry"
        and emotion.confidence >= 0.7
        and (urgency is None or (urgency.value < HIGH_URGENCY and urgency.confidence < 0.8))
    ):
        # An angry customer must not wait behind routine questions.
        decisions[TriageField.URGENCY] = Decision(
            TriageField.URGENCY,
            HIGH_URGENCY,
            0.7,
            DecisionSource.LEXICON,
            "",
            emotion.reasons,
        )
    return decisions
