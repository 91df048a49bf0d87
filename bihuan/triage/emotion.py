"""Emotion from a lexicon, with negation and intensity, in Chinese and English.

The cold-start answer for 满意 / 一般 / 不满 / 愤怒 before a model is trained, and a second
opinion after. Each sentiment word has a polarity (+ satisfied, − dissatisfied) and anger
words an anger weight. A negator shortly before a word flips and damps it (不太满意 is mildly
negative, not positive); an intensifier scales it (非常生气 > 生气).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bihuan.core.segmentation import words

POSITIVE: dict[str, float] = {
    "满意": 2.0,
    "感谢": 1.5,
    "谢谢": 1.0,
    "多谢": 1.0,
    "辛苦": 1.0,
    "好评": 2.0,
    "点赞": 2.0,
    "专业": 1.0,
    "耐心": 1.0,
    "及时": 1.0,
    "解决": 0.8,
    "不错": 1.5,
    "很好": 1.5,
    "好用": 1.5,
    "喜欢": 1.5,
    "开心": 1.5,
    "高兴": 1.5,
    "给力": 1.5,
    "棒": 1.5,
    "赞": 1.5,
    "周到": 1.5,
    "热情": 1.2,
    "放心": 1.0,
    "表扬": 2.0,
    "称赞": 2.0,
    "贴心": 1.5,
    "靠谱": 1.5,
    "thanks": 1.0,
    "thank": 1.0,
    "great": 1.5,
    "good": 1.0,
    "excellent": 2.0,
    "happy": 1.5,
    "satisfied": 2.0,
    "love": 1.5,
    "helpful": 1.5,
    "appreciate": 1.5,
    "perfect": 2.0,
    "awesome": 2.0,
    "quick": 0.8,
    "resolved": 0.8,
    "pleased": 1.5,
}
NEGATIVE: dict[str, float] = {
    "不满": 2.0,
    "失望": 2.0,
    "差": 1.5,
    "太差": 2.0,
    "糟糕": 2.0,
    "慢": 1.0,
    "麻烦": 1.0,
    "问题": 0.3,
    "没收到": 1.0,
    "坏": 1.2,
    "破损": 1.2,
    "故障": 0.8,
    "退款": 0.5,
    "退货": 0.5,
    "投诉": 2.0,
    "不好": 1.5,
    "难用": 1.5,
    "敷衍": 2.0,
    "推诿": 2.0,
    "拖延": 1.5,
    "一直": 0.5,
    "还没": 1.0,
    "催": 1.0,
    "着急": 1.2,
    "焦虑": 1.2,
    "无语": 1.5,
    "郁闷": 1.5,
    "不靠谱": 2.0,
    "bad": 1.5,
    "poor": 1.5,
    "terrible": 2.0,
    "awful": 2.0,
    "disappointed": 2.0,
    "broken": 1.2,
    "slow": 1.0,
    "late": 1.0,
    "problem": 0.5,
    "issue": 0.3,
    "refund": 0.5,
    "complaint": 2.0,
    "unhappy": 2.0,
    "annoying": 1.5,
    "useless": 2.0,
    "waiting": 0.8,
    "worst": 2.5,
    "frustrated": 2.0,
}
ANGRY: dict[str, float] = {
    "生气": 2.0,
    "愤怒": 3.0,
    "气死": 3.0,
    "火大": 2.5,
    "恼火": 2.5,
    "忍无可忍": 3.0,
    "垃圾": 2.5,
    "骗子": 3.0,
    "欺骗": 2.5,
    "坑人": 2.5,
    "黑心": 2.5,
    "无耻": 3.0,
    "曝光": 2.5,
    "媒体": 1.5,
    "12315": 3.0,
    "消协": 2.5,
    "工商": 2.0,
    "律师": 2.0,
    "起诉": 3.0,
    "报警": 3.0,
    "差评": 1.5,
    "滚": 2.5,
    "什么玩意": 2.5,
    "再也不": 2.0,
    "angry": 2.5,
    "furious": 3.0,
    "outraged": 3.0,
    "scam": 3.0,
    "fraud": 3.0,
    "lawyer": 2.5,
    "sue": 3.0,
    "ridiculous": 2.0,
    "unacceptable": 2.5,
    "disgusting": 3.0,
    "rip-off": 2.5,
}
NEGATORS = frozenset(
    {
        "不",
        "没",
        "没有",
        "未",
        "别",
        "无",
        "不太",
        "不是",
        "并不",
        "并非",
        "不怎么",
        "不够",
        "毫不",
        "not",
        "no",
        "never",
        "don't",
        "didn't",
        "isn't",
        "wasn't",
        "hardly",
        "nor",
    }
)
INTENSIFIERS: dict[str, float] = {
    "非常": 1.8,
    "特别": 1.7,
    "十分": 1.6,
    "极其": 2.0,
    "太": 1.6,
    "很": 1.3,
    "超级": 1.8,
    "真": 1.3,
    "真的": 1.4,
    "实在": 1.5,
    "简直": 1.7,
    "越来越": 1.4,
    "相当": 1.4,
    "极": 1.8,
    "非常非常": 2.2,
    "very": 1.5,
    "really": 1.4,
    "so": 1.4,
    "extremely": 2.0,
    "totally": 1.6,
    "absolutely": 1.8,
    "too": 1.4,
}
DAMPENERS: dict[str, float] = {"有点": 0.6, "有些": 0.6, "稍微": 0.5, "略": 0.5, "bit": 0.6}
# Negators that also soften: 不太满意 is milder than 不满意.
SOFT_NEGATORS = frozenset({"不太", "不怎么", "不够", "不是很", "not very", "hardly"})
# Phrases matched in the raw text, because segmentation can cut them wrongly (还没收到 →
# 还/没收/到): (phrase, dissatisfaction, anger).
PHRASES: tuple[tuple[str, float, float], ...] = (
    ("没收到", 1.2, 0.0),
    ("未收到", 1.2, 0.0),
    ("还没到", 1.0, 0.0),
    ("一直没", 1.0, 0.0),
    ("怎么还", 1.0, 0.0),
    ("到底", 0.6, 0.5),
    ("太慢", 1.5, 0.0),
    ("很慢", 1.2, 0.0),
    ("退钱", 1.0, 1.0),
    ("有病", 0.5, 2.0),
    ("什么破", 1.0, 2.0),
    ("说了多少遍", 1.0, 2.0),
    ("没人管", 1.5, 1.0),
    ("没人理", 1.5, 1.0),
    ("no one", 0.8, 0.0),
    ("still not", 1.0, 0.0),
    ("still haven't", 1.0, 0.0),
    ("never again", 1.0, 2.0),
)
CONTRASTS = frozenset({"但是", "但", "可是", "不过", "却", "but", "however", "yet"})
WINDOW = 3  # how many tokens back a negator or intensifier reaches
_EXCLAIM = re.compile(r"[!！]{2,}|[?？]{3,}")
_CHUNK = re.compile(r"[\u3400-\u9fff]+|[a-z0-9][a-z0-9'\-]*|[^\sa-z0-9\u3400-\u9fff]")
_CJK = re.compile(r"[\u3400-\u9fff]")
_BREAKS = frozenset(
    {",", ".", "!", "?", ";", "。", "，", "！", "？", "；", "但是", "但", "but", "however"}
)


def tokens_with_punctuation(text: str) -> list[str]:
    """Words (jieba for Chinese) and punctuation marks, in order: negation needs both."""
    folded = unicodedata.normalize("NFKC", text).lower()
    result: list[str] = []
    for chunk in _CHUNK.findall(folded):
        if _CJK.match(chunk):
            result.extend(words(chunk))
        else:
            result.append(chunk)
    return result


@dataclass(frozen=True)
class EmotionReading:
    """The lexicon's answer: an emotion, a confidence and the words that weighed most."""

    emotion: str
    confidence: float
    positive: float
    negative: float
    anger: float
    reasons: list[str]


def _modifier(tokens: list[str], index: int) -> tuple[float, bool]:
    scale = 1.0
    negated = False
    for back in range(1, WINDOW + 1):
        j = index - back
        if j < 0:
            break
        word = tokens[j]
        if word in SOFT_NEGATORS:
            negated = not negated
            scale *= 0.7
        elif word in NEGATORS:
            negated = not negated
        elif word in INTENSIFIERS:
            scale *= INTENSIFIERS[word]
        elif word in DAMPENERS:
            scale *= DAMPENERS[word]
        elif word in _BREAKS:
            break
    return scale, negated


def read_emotion(text: str) -> EmotionReading:
    """Score ``text`` and name its emotion: satisfied, neutral, dissatisfied or angry."""
    tokens = tokens_with_punctuation(text)
    folded = unicodedata.normalize("NFKC", text).lower()
    positive = negative = anger = 0.0
    weights: dict[str, float] = {}
    for phrase, dissatisfaction, phrase_anger in PHRASES:
        count = folded.count(phrase)
        if count:
            negative += dissatisfaction * count
            anger += phrase_anger * count
            weights[phrase] = weights.get(phrase, 0.0) + (dissatisfaction + phrase_anger) * count
    # What follows the last "but" is what the customer means: 东西不错，但是物流太慢.
    contrast = max((i for i, t in enumerate(tokens) if t in CONTRASTS), default=-1)
    for i, token in enumerate(tokens):
        word = token.lower()
        if word not in POSITIVE and word not in NEGATIVE and word not in ANGRY:
            continue
        scale, negated = _modifier(tokens, i)
        if contrast >= 0:
            scale *= 0.6 if i < contrast else 1.3
        if word in ANGRY:
            if negated:  # 不生气 says little; do not count it either way
                continue
            anger += ANGRY[word] * scale
            weights[word] = weights.get(word, 0.0) + ANGRY[word] * scale
        elif word in POSITIVE:
            value = POSITIVE[word] * scale
            if negated:  # 不太满意: negative, but milder than 不满
                negative += value * 0.8
            else:
                positive += value
            weights[word] = weights.get(word, 0.0) + value
        else:
            value = NEGATIVE[word] * scale
            if negated:  # 没问题 / 不差: mildly positive
                positive += value * 0.4
            else:
                negative += value
            weights[word] = weights.get(word, 0.0) + value
    if _EXCLAIM.search(text):
        anger *= 1.3
        negative *= 1.15
    reasons = [w for w, _v in sorted(weights.items(), key=lambda kv: -kv[1])[:5]]
    if anger >= 2.5 or (anger >= 1.5 and anger + negative >= 3.0):
        emotion = "angry"
        margin = anger + negative - positive
    elif negative + anger > positive and negative + anger >= 1.0:
        emotion = "dissatisfied"
        margin = negative + anger - positive
    elif positive > negative and positive >= 1.0:
        emotion = "satisfied"
        margin = positive - negative
    else:
        emotion = "neutral"
        margin = 1.0 - abs(positive - negative)
    confidence = round(min(0.95, 0.45 + 0.12 * max(margin, 0.0)), 3)
    return EmotionReading(emotion, confidence, positive, negative, anger, reasons)
