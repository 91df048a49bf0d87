"""Text segmentation for full-text search in Chinese and English.

Chinese has no spaces, so both the indexed text and the query are segmented with jieba's
search mode (``bihuan.core.segmentation``, which also emits the shorter words inside long
ones: 申请退款 → 申请, 退款, 申请退款). The database's own full-text engine (SQLite FTS5,
PostgreSQL tsvector with the 'simple' configuration) then works on space-separated tokens.
"""

from __future__ import annotations

import re

from bihuan.core.segmentation import search_words, words

_TOKEN = re.compile(r"[\w\u4e00-\u9fff]+", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_STOP = frozenset({"的", "了", "吗", "呢", "啊", "吧", "是", "我", "在", "和", "the", "a", "an"})


def tokens(text: str) -> list[str]:
    """Lower-cased search tokens of ``text``: jieba words for Chinese, words for the rest."""
    result: list[str] = []
    for chunk in _TOKEN.findall(text.lower()):
        if _CJK.search(chunk):
            result.extend(w for w in search_words(chunk) if w.strip())
        else:
            result.append(chunk)
    return result


def index_text(*parts: str) -> str:
    """The space-separated token string stored in the search index."""
    return " ".join(tokens(" ".join(p for p in parts if p)))


def query_tokens(query: str) -> list[str]:
    """Distinct meaningful tokens of a user's query, in order (stop words dropped)."""
    seen: list[str] = []
    for chunk in _TOKEN.findall(query.lower()):
        for word in words(chunk) if _CJK.search(chunk) else [chunk]:
            word = word.strip()
            if word and word not in _STOP and word not in seen:
                seen.append(word)
    return seen[:12]
