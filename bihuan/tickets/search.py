"""Ranked full-text search over ticket subjects and messages, in the database itself.

SQLite: FTS5 tables kept in sync by triggers (see migration 0002), ranked by bm25.
PostgreSQL: the tokens' tsvector stored beside them (migration 0008) and GIN indexes on
``to_tsvector('simple', …tokens)`` (migration 0002), ranked by ts_rank.
Both index the jieba-segmented token columns, so Chinese words match inside sentences.

The cost follows the page of results, not the length of the history
(docs/adr/0002-ranked-search-at-1m.md): only a bounded set of the newest matches is ranked,
and the viewer's scope is part of the query, so the candidates are tickets the viewer may see.

1. **Recent:** walk the newest ``RECENT_MESSAGES`` messages (and a quarter as many tickets'
   subjects) newest first — PostgreSQL down the primary key testing the stored vector,
   SQLite down the FTS5 index by rowid — and stop at ``CANDIDATES`` matches. A common word
   ("退款") stops after a few thousand rows at any size of history.
2. **Whole history**, only when the recent walk found fewer tickets than asked for (a rare
   word, or a viewer with a narrow scope): every match through the full-text index, of which
   the newest ``CANDIDATES`` are ranked. A word that is rare has few matches to read.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet

from bihuan.core.text_search import query_tokens
from bihuan.tickets.models import Ticket

# Matching messages ranked at most (subjects: a quarter as many).
CANDIDATES = 500
# Messages walked newest first before the whole history is searched (tickets: a quarter).
RECENT_MESSAGES = 20_000


def _fts5_query(words: list[str]) -> str:
    return " ".join('"' + w.replace('"', '""') + '"' for w in words)


def ranked_ticket_ids(
    query: str, *, scope: QuerySet[Ticket] | None = None, limit: int = 50
) -> list[int]:
    """Ids of up to ``limit`` tickets matching every word of ``query`` in the subject or in one
    message, best first, among ``scope`` (None: every ticket). Matches are ranked within the
    newest ``CANDIDATES``: recent history first, the whole history when that finds too few."""
    words = query_tokens(query)
    if not words:
        return []
    scope_sql: tuple[str, tuple[Any, ...]] | None = None
    if scope is not None:
        try:
            scope_sql = scope.order_by().values("pk").query.sql_with_params()
        except EmptyResultSet:  # a scope that holds nothing
            return []
    ids = _ranked(words, scope_sql, limit=limit, window=RECENT_MESSAGES)
    if len(ids) < limit:
        ids = _ranked(words, scope_sql, limit=limit, window=None)
    return ids


def _ranked(
    words: list[str],
    scope: tuple[str, tuple[Any, ...]] | None,
    *,
    limit: int,
    window: int | None,
) -> list[int]:
    """The best ``limit`` tickets among the newest ``CANDIDATES`` matching messages and
    subjects (within the newest ``window`` messages and window/4 tickets, if given)."""
    if connection.vendor == "postgresql":
        sql, params = _postgres_query(" ".join(words), scope, window)
    else:
        sql, params = _sqlite_query(_fts5_query(words), scope, window)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit])
        return [int(row[0]) for row in cursor.fetchall()]


def _postgres_query(
    words: str, scope: tuple[str, tuple[Any, ...]] | None, window: int | None
) -> tuple[str, list[Any]]:
    message_params: list[Any] = []
    ticket_params: list[Any] = []
    if window is None:
        # The whole history: the GIN indexes on the expressions find the matches (the stored
        # vector, tested first because it is cheaper, keeps to_tsvector for the matches).
        message_match = (
            "m.search_vector @@ q.query AND to_tsvector('simple', m.search_tokens) @@ q.query"
        )
        ticket_match = (
            "t.subject_vector @@ q.query AND to_tsvector('simple', t.subject_tokens) @@ q.query"
        )
    else:
        # The recent history: down the primary key from the newest row, no index on the words.
        message_match = (
            "m.id > (SELECT max(id) FROM tickets_message) - %s AND m.search_vector @@ q.query"
        )
        ticket_match = (
            "t.id > (SELECT max(id) FROM tickets_ticket) - %s AND t.subject_vector @@ q.query"
        )
        message_params.append(window)
        ticket_params.append(window // 4)
    message_scope = ticket_scope = ""
    if scope is not None:
        message_scope = f"AND m.ticket_id IN ({scope[0]})"
        ticket_scope = f"AND t.id IN ({scope[0]})"
        message_params += scope[1]
        ticket_params += scope[1]
    sql = f"""
        WITH q AS (SELECT plainto_tsquery('simple', %s) AS query),
        messages AS (
            SELECT m.ticket_id AS id, ts_rank(m.search_vector, q.query) AS rank
            FROM tickets_message m, q
            WHERE {message_match} {message_scope}
            ORDER BY m.id DESC LIMIT %s
        ),
        subjects AS (
            SELECT t.id, 2 * ts_rank(t.subject_vector, q.query) AS rank
            FROM tickets_ticket t, q
            WHERE {ticket_match} {ticket_scope}
            ORDER BY t.id DESC LIMIT %s
        )
        SELECT id FROM (SELECT * FROM messages UNION ALL SELECT * FROM subjects) AS hits
        GROUP BY id ORDER BY sum(rank) DESC, id DESC LIMIT %s
    """  # noqa: S608 - the interpolated parts are constants of this function and ORM SQL
    return sql, [
        words,
        *message_params,
        CANDIDATES,
        *ticket_params,
        CANDIDATES // 4,
    ]


def _sqlite_query(
    match: str, scope: tuple[str, tuple[Any, ...]] | None, window: int | None
) -> tuple[str, list[Any]]:
    message_window = ticket_window = ""
    message_params: list[Any] = [match]
    ticket_params: list[Any] = [match]
    if window is not None:
        message_window = (
            "AND tickets_message_fts.rowid > (SELECT max(id) FROM tickets_message) - %s"
        )
        ticket_window = "AND tickets_ticket_fts.rowid > (SELECT max(id) FROM tickets_ticket) - %s"
        message_params.append(window)
        ticket_params.append(window // 4)
    message_scope = ticket_scope = ""
    if scope is not None:
        message_scope = f"AND m.ticket_id IN ({scope[0]})"
        ticket_scope = f"AND tickets_ticket_fts.rowid IN ({scope[0]})"
        message_params += scope[1]
        ticket_params += scope[1]
    sql = f"""
        SELECT id FROM (
            SELECT * FROM (
                SELECT m.ticket_id AS id, bm25(tickets_message_fts) AS rank
                FROM tickets_message_fts JOIN tickets_message m
                  ON m.id = tickets_message_fts.rowid
                WHERE tickets_message_fts MATCH %s {message_window} {message_scope}
                ORDER BY tickets_message_fts.rowid DESC LIMIT %s
            )
            UNION ALL
            SELECT * FROM (
                SELECT rowid AS id, 2 * bm25(tickets_ticket_fts) AS rank
                FROM tickets_ticket_fts
                WHERE tickets_ticket_fts MATCH %s {ticket_window} {ticket_scope}
                ORDER BY tickets_ticket_fts.rowid DESC LIMIT %s
            )
        ) GROUP BY id ORDER BY sum(rank) ASC, id DESC LIMIT %s
    """  # noqa: S608 - the interpolated parts are constants of this function and ORM SQL
    return sql, [*message_params, CANDIDATES, *ticket_params, CANDIDATES // 4]
