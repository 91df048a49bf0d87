"""Admin-editable keyword and pattern rules, compiled once and matched fast.

A rule's ``patterns`` hold one pattern per line: a keyword (matched case-insensitively as a
substring, after full-width folding) or ``re:`` and a regular expression. Each distinct
pattern that matches adds the rule's weight to its value's score.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from bihuan.core.errors import ValidationFailed
from bihuan.triage.choices import RuleLanguage
from bihuan.triage.models import TriageRule

MAX_PATTERNS = 200
MAX_PATTERN_LENGTH = 200
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class CompiledRule:
    rule_id: int | None
    name: str
    field: str
    value: str
    language: str
    keywords: tuple[str, ...]
    expressions: tuple[re.Pattern[str], ...]
    weight: float
    is_always: bool


@dataclass
class RuleScore:
    """How strongly the rules point a field to one value, and which words matched."""

    value: str
    score: float = 0.0
    is_always: bool = False
    matched: list[str] = field(default_factory=list)
    rule_ids: list[int] = field(default_factory=list)


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def detect_language(text: str) -> str:
    """``zh`` when at least a fifth of the letters are Chinese, else ``en``."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return RuleLanguage.ZH
    cjk = sum(1 for c in letters if _CJK.match(c))
    return RuleLanguage.ZH if cjk / len(letters) >= 0.2 else RuleLanguage.EN


def compile_patterns(raw: str) -> tuple[tuple[str, ...], tuple[re.Pattern[str], ...]]:
    """Split a rule's pattern text into keywords and compiled expressions, or refuse it."""
    keywords: list[str] = []
    expressions: list[re.Pattern[str]] = []
    lines = [line.strip() for line in raw.splitlines() if line.strip()]
    if not lines:
        raise ValidationFailed(_("A rule needs at least one pattern."), code="empty_patterns")
    if len(lines) > MAX_PATTERNS:
        raise ValidationFailed(
            _("A rule may have at most %(limit)s patterns."), code="too_many", limit=MAX_PATTERNS
        )
    for line in lines:
        if len(line) > MAX_PATTERN_LENGTH:
            raise ValidationFailed(
                _("The pattern “%(pattern)s…” is too long."), code="too_long", pattern=line[:20]
            )
        if line.startswith("re:"):
            try:
                expressions.append(re.compile(fold(line[3:].strip())))
            except re.error as exc:
                raise ValidationFailed(
                    _("“%(pattern)s” is not a valid regular expression: %(error)s"),
                    code="invalid_regex",
                    pattern=line[3:].strip(),
                    error=str(exc),
                ) from exc
        else:
            keywords.append(fold(line))
    return tuple(dict.fromkeys(keywords)), tuple(expressions)


def compile_rule(rule: TriageRule) -> CompiledRule:
    keywords, expressions = compile_patterns(rule.patterns)
    return CompiledRule(
        rule_id=rule.pk,
        name=rule.name,
        field=rule.field,
        value=rule.value,
        language=rule.language,
        keywords=keywords,
        expressions=expressions,
        weight=rule.weight,
        is_always=rule.is_always,
    )


def compile_rules(rules: Iterable[TriageRule]) -> list[CompiledRule]:
    return [compile_rule(rule) for rule in rules if rule.is_active]


def match_rules(
    text: str, rules: list[CompiledRule], *, language: str | None = None
) -> dict[str, dict[str, RuleScore]]:
    """Scores per field and value for ``text``: {field: {value: RuleScore}}."""
    folded = fold(text)
    lang = language or detect_language(text)
    scores: dict[str, dict[str, RuleScore]] = defaultdict(dict)
    for rule in rules:
        if rule.language != RuleLanguage.ANY and rule.language != lang:
            continue
        hits = [k for k in rule.keywords if k in folded]
        for expression in rule.expressions:
            found = expression.search(folded)
            if found:
                hits.append(found.group(0))
        if not hits:
            continue
        entry = scores[rule.field].setdefault(rule.value, RuleScore(value=rule.value))
        entry.score += rule.weight * len(hits)
        entry.is_always = entry.is_always or rule.is_always
        entry.matched.extend(h for h in hits if h not in entry.matched)
        if rule.rule_id is not None:
            entry.rule_ids.append(rule.rule_id)
    return dict(scores)
