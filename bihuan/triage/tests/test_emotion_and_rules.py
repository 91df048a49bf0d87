"""The emotion lexicon (negation, intensity, contrast) and keyword/pattern rules."""

from __future__ import annotations

import pytest

from bihuan.core.errors import ValidationFailed
from bihuan.triage.emotion import read_emotion
from bihuan.triage.engine import decide
from bihuan.triage.rules import CompiledRule, compile_patterns, match_rules


@pytest.mark.parametrize(
    ("text", "emotion"),
    [
        ("非常满意，客服很耐心", "satisfied"),
        ("满意", "satisfied"),
        ("不太满意", "dissatisfied"),
        ("不满意", "dissatisfied"),
        ("我很生气", "angry"),
        ("你们就是骗子，我要投诉到12315！！", "angry"),
        ("没问题，谢谢", "satisfied"),
        ("请问发票怎么开", "neutral"),
        ("东西不错，但是物流太慢了", "dissatisfied"),
        ("还没收到货", "dissatisfied"),
        ("我不生气，只是想问问", "neutral"),
        ("I am not happy with this", "dissatisfied"),
        ("Thanks, great service", "satisfied"),
        ("This is a scam, I will call my lawyer!!", "angry"),
    ],
)
def test_the_lexicon_reads_emotion_with_negation_and_contrast(text: str, emotion: str) -> None:
    assert read_emotion(text).emotion == emotion


def test_negation_turns_satisfied_into_dissatisfied_and_softens_it() -> None:
    satisfied = read_emotion("满意")
    not_quite = read_emotion("不太满意")
    not_at_all = read_emotion("不满意")

    assert satisfied.positive > 0
    assert not_quite.positive == 0
    assert 0 < not_quite.negative < not_at_all.negative


def test_intensifiers_make_anger_stronger() -> None:
    assert read_emotion("非常生气").anger > read_emotion("生气").anger > 0
    assert read_emotion("非常生气！！").anger > read_emotion("非常生气").anger


def test_reasons_name_the_words_that_weighed_most() -> None:
    reading = read_emotion("质量太差了，非常失望")

    assert reading.reasons[:2] == ["失望", "太差"]


def _rule(
    field: str,
    value: str,
    patterns: str,
    *,
    always: bool = False,
    weight: float = 1.0,
    language: str = "any",
) -> CompiledRule:
    keywords, expressions = compile_patterns(patterns)
    return CompiledRule(
        None, f"{field}:{value}", field, value, language, keywords, expressions, weight, always
    )


def test_keywords_match_inside_chinese_text_and_ignore_case_and_width() -> None:
    rules = [_rule("kind", "after_sales", "退款\nREFUND")]

    assert "after_sales" in match_rules("我想申请退款", rules)["kind"]
    assert "after_sales" in match_rules("ｒｅｆｕｎｄ please", rules)["kind"]
    assert match_rules("发票问题", rules) == {}


def test_regular_expressions_and_language_restrictions() -> None:
    rules = [
        _rule("urgency", "4", r"re:\d+\s*次", language="zh"),
        _rule("urgency", "3", "urgent", language="en"),
    ]

    assert "4" in match_rules("已经打了3 次电话", rules)["urgency"]
    assert match_rules("This is urgent 紧急紧急紧急紧急", rules) == {}
    assert "3" in match_rules("This is urgent", rules)["urgency"]


def test_an_always_rule_wins_over_stronger_evidence() -> None:
    rules = [
        _rule("kind", "inquiry", "请问\n怎么\n如何", weight=3),
        _rule("kind", "complaint", "投诉", always=True),
    ]

    decision = decide("请问怎么投诉，如何处理", rules=rules, fields=["kind"])["kind"]

    assert (decision.value, decision.confidence, decision.source) == ("complaint", 1.0, "rule")


@pytest.mark.parametrize("patterns", ["", "  \n ", "re:([", "re:" + "a" * 300])
def test_invalid_patterns_are_refused(patterns: str) -> None:
    with pytest.raises(ValidationFailed):
        compile_patterns(patterns)


def test_an_angry_customer_is_at_least_high_urgency() -> None:
    decisions = decide(
        "你们这是欺骗消费者，我非常生气！！", rules=[], fields=["emotion", "urgency"]
    )

    assert decisions["emotion"].value == "angry"
    assert decisions["urgency"].value == "3"
