"""Text normalisation and tokenisation for triage, in Chinese, English and other languages.

Chinese (any run of Han characters) is segmented with jieba's algorithm
(``bihuan.core.segmentation``); everything else is split into lower-cased word tokens.

These functions are used as the analyzers of the classifier's vectorizers, so a saved model
refers to them by name: keep their names and behaviour stable, or bump the model version.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Iterable

from bihuan.core.segmentation import words

_CJK_CHAR = (
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\u3040-\u30ff"  # hiragana, katakana
    "\uac00-\ud7af"  # hangul syllables
)
_CJK_RE = re.compile(f"[{_CJK_CHAR}]")
_HAS_CJK_RE = re.compile(f"[{_CJK_CHAR}]")
_LETTER_WORD_RE = re.compile(r"[^\W\d_]+")
_URL_RE = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Order numbers, phone numbers, amounts in cents...: their value never says what a ticket is
# about, and they should not show up as a "reason" on the agent's screen.
_LONG_NUMBER_RE = re.compile(r"\d{5,}")
_SPACE_RE = re.compile(r"\s+")
# Byte-order marks and zero-width characters pasted in from other tools.
_INVISIBLE_RE = re.compile("[\u200b-\u200f\u2060\ufeff]")
# A word: letters/digits, optionally with an inner apostrophe (don't, it's) kept in one token.
_WORD_RE = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_EDGE_PUNCTUATION_RE = re.compile(r"^[\W_]+|[\W_]+$")


def normalize(text: str) -> str:
    """Fold width and case, mask URLs, emails and long numbers, and collapse whitespace.

    NFKC turns full-width letters, digits and punctuation (，！Ａ１) into their ASCII forms, so the
    same word typed on a Chinese or an English keyboard gives the same features.
    """
    text = _INVISIBLE_RE.sub("", unicodedata.normalize("NFKC", text)).lower()
    text = _URL_RE.sub(" url ", text)
    text = _EMAIL_RE.sub(" email ", text)
    text = _LONG_NUMBER_RE.sub(" 00000 ", text)
    return _SPACE_RE.sub(" ", text).strip()


def has_cjk(text: str) -> bool:
    """Whether the text contains at least one Chinese, Japanese or Korean character."""
    return _HAS_CJK_RE.search(text) is not None


def cjk_ratio(text: str) -> float:
    """The share of CJK characters among the text's units: CJK characters and other words.

    A Chinese character carries about as much as an English word, so "退款 refund" is two
    thirds Chinese. Numbers and punctuation do not count; text without letters gives 0.0.
    """
    cjk = len(_CJK_RE.findall(text))
    other_words = len(_LETTER_WORD_RE.findall(_CJK_RE.sub(" ", text) if cjk else text))
    units = cjk + other_words
    return cjk / units if units else 0.0


def is_mostly_cjk(text: str, *, threshold: float = 0.5) -> bool:
    """Whether more than ``threshold`` of the text's units are CJK characters."""
    return cjk_ratio(text) > threshold


def corpus_cjk_ratio(texts: Iterable[str], *, sample: int = 2000) -> float:
    """The share of texts (among the first ``sample``) that are mostly CJK."""
    seen = 0
    cjk = 0
    for text in texts:
        if seen >= sample:
            break
        seen += 1
        cjk += is_mostly_cjk(text)
    return cjk / seen if seen else 0.0


def tokenize(text: str) -> list[str]:
    """Word tokens of already normalised text: jieba words for CJK runs, words elsewhere.

    Punctuation and whitespace are dropped. English words inside Chinese text are tokenised as
    in English text ("don't" stays one token), and text without any CJK character never
    touches jieba (about twenty times faster).
    """
    # Live triage runs one model per field over the same message: segment it once.
    return list(_tokenize_recent(text))


@functools.lru_cache(maxsize=256)
def _tokenize_recent(text: str) -> tuple[str, ...]:
    return tuple(_tokenize(text))


def _tokenize(text: str) -> list[str]:
    if not has_cjk(text):
        return _WORD_RE.findall(text)
    tokens: list[str] = []
    other: list[str] = []  # consecutive non-CJK pieces, re-joined: jieba splits "don't"
    for piece in words(text):
        if _CJK_RE.match(piece):
            if other:
                tokens.extend(_WORD_RE.findall("".join(other)))
                other.clear()
            tokens.append(piece)
        else:
            other.append(piece)
    if other:
        tokens.extend(_WORD_RE.findall("".join(other)))
    return tokens


def word_tokens(text: str) -> list[str]:
    """Normalise then tokenise: the analyzer of the classifier's word features."""
    return tokenize(normalize(text))


def latin_words(text: str) -> list[str]:
    """The whitespace- or punctuation-delimited words of text (CJK runs come out whole)."""
    return _WORD_RE.findall(text)


def join_tokens(tokens: list[str]) -> str:
    """Tokens as a reader would write them: no space between two CJK tokens."""
    if not tokens:
        return ""
    parts = [tokens[0]]
    for previous, token in itertools.pairwise(tokens):
        if not (has_cjk(previous[-1:]) and has_cjk(token[:1])):
            parts.append(" ")
        parts.append(token)
    return "".join(parts)


def strip_punctuation(term: str) -> str:
    """The term without surrounding whitespace and punctuation."""
    return _EDGE_PUNCTUATION_RE.sub("", term)
