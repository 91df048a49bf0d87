"""The trained answer model's parts, without the database: features, folds, the classifier,
fitting and ranking with a reader of made-up candidates, saving and loading, and the rule
for an untrained answerer."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import joblib
import pytest

from bihuan.knowledge import answer_model
from bihuan.knowledge.answer_model import (
    FEATURES,
    NONE,
    AnswerModel,
    Example,
    ModelFileError,
    Reading,
    folds,
)
from bihuan.knowledge.answerer import UNTRAINED_THRESHOLD, is_confident
from bihuan.knowledge.answering import AnswerMatch, Question, _Candidate, _Word
from bihuan.knowledge.search import Term

REFUND, INVOICE = 11, 12
ARTICLES = {
    REFUND: "退款多久到账\n退款原路退回，1–3 个工作日到账",
    INVOICE: "如何开具发票\n订单详情申请发票",
}
TOKENS = {
    REFUND: frozenset({"退款", "多久", "到账", "原路", "退回", "工作日"}),
    INVOICE: frozenset({"如何", "开具", "发票", "订单", "详情", "申请"}),
}
QUESTIONS = {
    REFUND: ("退款几天到账", "钱多久退回来", "退款什么时候到", "退钱要多久", "退款到账时间"),
    INVOICE: ("怎么开发票", "发票在哪申请", "开票流程", "要开发票", "发票怎么开具"),
    NONE: ("发票抬头开错了", "退款被拒绝了", "发票能作废吗", "只退款不退货", "你好"),
}
EXAMPLES = [Example(q, "zh", label) for label, texts in QUESTIONS.items() for q in texts]


def _reader(text: str, language: str, guesses: Sequence[int]) -> Reading:
    """Every question reads both articles as candidates; words are its bigrams."""
    words = tuple(
        _Word(Term((text[i : i + 2],), prefix=False), math.log(3), 1) for i in range(len(text) - 1)
    )
    candidates = tuple(_Candidate(pk, TOKENS[pk], TOKENS[pk]) for pk in (REFUND, INVOICE))
    return Reading(text, Question(words, candidates, has_twist="只" in text))


def test_bigrams_are_chinese_character_pairs_and_english_words() -> None:
    assert answer_model._bigrams("退款 refund, 到") == {"退款", "refund", "到"}
    assert answer_model._bigrams("发票怎么开") == {"发票", "票怎", "怎么", "么开"}


def test_folds_are_stratified_fixed_and_refuse_too_few_questions() -> None:
    labels = [e.article_id for e in EXAMPLES]

    first, again = folds(labels, 1), folds(labels, 1)

    assert first == again
    assert len(first) == 5
    assert sorted(i for _train, held in first for i in held) == list(range(15))
    for _train, held in first:
        assert sorted(labels[i] for i in held) == [NONE, REFUND, INVOICE]
    with pytest.raises(ValueError, match="Too few"):
        folds(labels[:6], 1)


def test_the_classifier_learns_labels_and_counts_words_no_article_uses() -> None:
    texts = [e.question for e in EXAMPLES] + list(ARTICLES.values())
    labels = [e.article_id for e in EXAMPLES] + list(ARTICLES)

    classifier = answer_model._Classifier().fit(texts, labels, len(EXAMPLES))
    probabilities, similarities = classifier.read(["开发票的流程"])

    assert classifier.labels == [NONE, REFUND, INVOICE]
    assert classifier.guesses(probabilities[0])[0] == INVOICE
    assert probabilities[0][:3].sum() == pytest.approx(1.0)
    assert similarities.shape == (1, len(EXAMPLES))
    assert classifier.uncovered("发票作废", INVOICE, TOKENS[INVOICE]) == (1, 2)  # 作废
    assert classifier.uncovered("开发票", INVOICE, TOKENS[INVOICE]) == (0, 1)


def test_a_model_fitted_with_a_reader_ranks_every_candidate_and_saves(tmp_path: Path) -> None:
    model = AnswerModel().fit(EXAMPLES, ARTICLES, _reader)

    ranked = model.rank(_reader("发票怎么申请", "zh", []))
    path = model.save(tmp_path / "answers.joblib")
    loaded = AnswerModel.load(path)

    assert len(model.reranker.coef_[0]) == len(FEATURES)
    assert [m.article_id for m in ranked] == [INVOICE, REFUND]
    assert all(0 <= m.confidence <= 1 for m in ranked)
    assert ranked[0].confidence > ranked[1].confidence
    assert loaded.rank(_reader("发票怎么申请", "zh", [])) == ranked


def test_loading_refuses_a_missing_or_foreign_file(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign.joblib"
    joblib.dump({"format": "something else"}, foreign)
    old = tmp_path / "old.joblib"
    joblib.dump({"format": answer_model.MODEL_FORMAT, "version": "0", "model": None}, old)

    with pytest.raises(ModelFileError, match="Cannot read"):
        AnswerModel.load(tmp_path / "missing.joblib")
    with pytest.raises(ModelFileError, match="not an answer model"):
        AnswerModel.load(foreign)
    with pytest.raises(ModelFileError, match="incompatible"):
        AnswerModel.load(old)


def test_without_a_model_only_complete_coverage_is_confident_enough() -> None:
    coverage = AnswerMatch(1, 0.98, 0.98, 0.5)
    complete = AnswerMatch(1, 1.0, 1.0, 0.5)
    trained = AnswerMatch(1, 0.98, 0.5, 0.0, model="answers-v1")

    assert UNTRAINED_THRESHOLD == 1.0
    assert not is_confident(coverage, 0.5)
    assert is_confident(complete, 0.5)
    assert is_confident(trained, 0.97)
    assert not is_confident(trained, 0.99)
