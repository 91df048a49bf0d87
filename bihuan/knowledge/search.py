"""Ranked full-text search over articles in Chinese and English, in the database itself.

The same scheme as ticket search (``bihuan.tickets.search``): jieba-segmented token columns,
indexed by SQLite FTS5 (bm25, title weighted 3 : 1 over the body) or by a PostgreSQL GIN index
on a stored weighted ``tsvector`` column (ts_rank). On top of it:

- synonyms: each query word that belongs to an admin-defined group (快递 物流) matches any
  word of its group;
- English prefixes: a Latin word of two letters or more also matches the words it begins
  (``refun`` finds ``refund``, ``refunded``), so results appear while the agent types;
- English typos: when nothing matches, each English word is replaced by the closest word of
  the articles' vocabulary (``SearchWord``, by first letter and length ±2) and the search
  runs once more (``refnud`` finds ``refund``);
- two modes: ``all`` (every word, for the search box) and ``any`` (some words, best first, for
  suggestions from a ticket's text, which is long and never matches as a whole).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db import connection

from bihuan.core.text_search import query_tokens

LIMIT = 50
_LATIN = re.compile(r"^[a-z0-9]+$")
_WORD = re.compile(r"^[a-z]{3,40}$")
# Words of asking, not of the subject ("我要退钱" is about 退钱): dropped from a query unless
# nothing else is left. The core stop list keeps particles only, since tickets search whole
# sentences agents remember.
QUESTION_WORDS = frozenset(
    {"我要", "我想", "想要", "请问", "怎么", "怎么办", "怎样", "如何", "为什么", "什么", "可以",
     "能不能", "一下", "你好", "您好", "帮我", "how", "do", "does", "i", "to", "is", "my", "what",
     "why", "can", "you", "please"}
)  # fmt: skip


@dataclass(frozen=True)
class Term:
    """One query word and the words that count as the same."""

    words: tuple[str, ...]
    prefix: bool


def synonym_table(groups: Sequence[Sequence[str]]) -> dict[str, tuple[str, ...]]:
    """word → every word of its group (lower-cased), from the admin's synonym groups."""
    table: dict[str, tuple[str, ...]] = {}
    for group in groups:
        words = tuple(dict.fromkeys(w.lower() for w in group if w))
        for word in words:
            table[word] = tuple(dict.fromkeys(table.get(word, ()) + words))
    return table


def parse(query: str, synonyms: dict[str, tuple[str, ...]]) -> list[Term]:
    """The terms of a user's query, each with its synonyms."""
    terms = []
    words = query_tokens(query)
    words = [w for w in words if w not in QUESTION_WORDS] or words
    for word in words:
        same = synonyms.get(word, (word,))
        terms.append(Term(same, prefix=bool(_LATIN.match(word)) and len(word) >= 2))
    return terms


def latin_words(tokens: str) -> set[str]:
    """The English words worth correcting towards (letters only, 3 to 40 of them)."""
    return {w for w in tokens.split() if _WORD.match(w)}


def corrected(terms: list[Term], near: Callable[[str], list[str]]) -> list[Term] | None:
    """The terms with each Latin word that ``near`` finds a close vocabulary word for replaced
    by it (refnud → refund); None when nothing was corrected."""
    result, changed = [], False
    for term in terms:
        word = term.words[0]
        if term.prefix and len(term.words) == 1 and _WORD.match(word):
            match = difflib.get_close_matches(word, near(word), n=1, cutoff=0.75)
            if match and match[0] != word:
                result.append(Term((match[0],), prefix=False))
                changed = True
                continue
        result.append(term)
    return result if changed else None


def _fts5(terms: list[Term], mode: str) -> str:
    def quoted(word: str, prefix: bool) -> str:
        return '"' + word.replace('"', '""') + '"' + ("*" if prefix else "")

    clauses = [
        "(" + " OR ".join(quoted(w, t.prefix and w == t.words[0]) for w in t.words) + ")"
        for t in terms
    ]
    return (" AND " if mode == "all" else " OR ").join(clauses)


def _tsquery(terms: list[Term], mode: str) -> str:
    def quoted(word: str, prefix: bool) -> str:
        return "'" + word.replace("'", "''").replace("\\", "") + "'" + (":*" if prefix else "")

    clauses = [
        "(" + " | ".join(quoted(w, t.prefix and w == t.words[0]) for w in t.words) + ")"
        for t in terms
    ]
    return (" & " if mode == "all" else " | ").join(clauses)


def ranked_article_ids(
    terms: list[Term],
    *,
    statuses: Sequence[str],
    mode: str = "all",
    language: str = "",
    audience: str = "",
    limit: int = LIMIT,
) -> list[int]:
    """Ids of articles in ``statuses`` matching ``terms``, best first."""
    if not terms or not statuses:
        return []
    filters = [f"a.status IN ({', '.join(['%s'] * len(statuses))})"]
    params: list[str | int] = list(statuses)
    if language:
        filters.append("a.language = %s")
        params.append(language)
    if audience:
        filters.append("a.audience = %s")
        params.append(audience)
    where = " AND ".join(filters)
    if connection.vendor == "postgresql":
        sql = f"""
            SELECT a.id FROM knowledge_article a,
                 to_tsquery('simple', %s) AS q
            WHERE ({VECTOR}) @@ q AND {where}
            ORDER BY ts_rank({VECTOR}, q) DESC, a.id DESC LIMIT %s
        """  # noqa: S608 - the interpolated parts are constants of this module
        args: list[str | int] = [_tsquery(terms, mode), *params, limit]
    else:
        sql = f"""
            SELECT a.id FROM knowledge_article_fts f JOIN knowledge_article a ON a.id = f.rowid
            WHERE knowledge_article_fts MATCH %s AND {where}
            ORDER BY bm25(knowledge_article_fts, 3.0, 1.0) ASC, a.id DESC LIMIT %s
        """  # noqa: S608 - the interpolated parts are constants of this module
        args = [_fts5(terms, mode), *params, limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        return [int(row[0]) for row in cursor.fetchall()]


def count_matching(
    terms: Sequence[Term], *, statuses: Sequence[str], language: str = "", audience: str = ""
) -> list[int]:
    """How many articles in ``statuses`` contain each of ``terms`` (any of its words): the
    document frequencies a confidence score weighs words by, the same on both databases.
    One statement for all the terms."""
    if not terms or not statuses:
        return [0] * len(terms)
    filters = [f"a.status IN ({', '.join(['%s'] * len(statuses))})"]
    params: list[str | int] = list(statuses)
    if language:
        filters.append("a.language = %s")
        params.append(language)
    if audience:
        filters.append("a.audience = %s")
        params.append(audience)
    where = " AND ".join(filters)
    args: list[str | int] = []
    if connection.vendor == "postgresql":
        # One pass over the articles matching any term, counting each term's matches.
        counts = ", ".join(
            f"count(*) FILTER (WHERE ({VECTOR}) @@ to_tsquery('simple', %s))" for _ in terms
        )
        sql = f"""
            SELECT {counts} FROM knowledge_article a
            WHERE ({VECTOR}) @@ to_tsquery('simple', %s) AND {where}
        """  # noqa: S608 - the interpolated parts are constants of this module
        args = [_tsquery([t], "all") for t in terms]
        args += [_tsquery(list(terms), "any"), *params]
    else:
        # The matches first, once per term: joined, SQLite may walk the articles and probe
        # the index for each (0.2 s for a word no article has, at 10,000 articles).
        one = f"""(SELECT count(*) FROM knowledge_article a WHERE a.id IN (
                    SELECT rowid FROM knowledge_article_fts WHERE knowledge_article_fts MATCH %s
                ) AND {where})"""  # noqa: S608 - the interpolated parts are constants of this module
        sql = "SELECT " + ", ".join([one] * len(terms))
        for term in terms:
            args += [_fts5([term], "all"), *params]
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        row = cursor.fetchone()
    return [int(n) for n in row] if row else [0] * len(terms)


# PostgreSQL: the stored, weighted tsvector of migration 0004 (title 'A', body 'B').
VECTOR = "a.search_vector"
