"""Ranked full-text search over ticket subjects and messages, in the database itself.

SQLite: FTS5 tables kept in sync by triggers (see migration 0002), ranked by bm25.
PostgreSQL: GIN indexes on ``to_tsvector('simple', …tokens)``, ranked by ts_rank.
Both index the jieba-segmented token columns, so Chinese words match inside sentences.
"""

from __future__ import annotations

from django.db import connection

from bihuan.core.text_search import query_tokens

CANDIDATES = 500
# Recency windows, in messages (tickets: a quarter as many). A common word ("退款") matches
# a large share of a long history; ranking every match grows with the history (seconds at
# 1,000,000 tickets). Matches are ranked within the most recent window first, and an older
# window is searched only when the recent one holds fewer than ``limit`` matching tickets:
# a rare word still finds its one ticket from years ago, a common word answers from the
# recent history in constant time.
WINDOWS: tuple[int | None, ...] = (20_000, 400_000, None)


def _fts5_query(words: list[str]) -> str:
    return " ".join('"' + w.replace('"', '""') + '"' for w in words)


def ranked_ticket_ids(query: str, *, limit: int = CANDIDATES) -> list[int]:
    """Ticket ids matching every word of ``query`` in the subject or one message, best first
    (within the most recent window of the history that holds ``limit`` matching tickets)."""
    words = query_tokens(query)
    if not words:
        return []
    ids: list[int] = []
    for window in WINDOWS:
        ids = _ranked_in_window(words, limit=limit, window=window)
        if len(ids) >= limit:
            break
    return ids


def _ranked_in_window(words: list[str], *, limit: int, window: int | None) -> list[int]:
    """The best ``limit`` tickets among the last ``window`` messages and window/4 tickets."""
    if connection.vendor == "postgresql":
        sql, params = _postgres_query(" ".join(words), window)
    else:
        sql, params = _sqlite_query(_fts5_query(words), window)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit])
        return [int(row[0]) for row in cursor.fetchall()]


def _postgres_query(words: str, window: int | None) -> tuple[str, list[str | int]]:
    message_window = ticket_window = ""
    params: list[str | int] = [words]
    if window is not None:
        message_window = "AND m.id > (SELECT max(id) FROM tickets_message) - %s"
        ticket_window = "AND t.id > (SELECT max(id) FROM tickets_ticket) - %s"
        params += [window, window // 4]
    sql = f"""
        WITH q AS (SELECT plainto_tsquery('simple', %s) AS query),
        hits AS (
            SELECT m.ticket_id AS id,
                   ts_rank(to_tsvector('simple', m.search_tokens), q.query) AS rank
            FROM tickets_message m, q
            WHERE to_tsvector('simple', m.search_tokens) @@ q.query {message_window}
            UNION ALL
            SELECT t.id, 2 * ts_rank(to_tsvector('simple', t.subject_tokens), q.query)
            FROM tickets_ticket t, q
            WHERE to_tsvector('simple', t.subject_tokens) @@ q.query {ticket_window}
        )
        SELECT id FROM hits GROUP BY id ORDER BY sum(rank) DESC, id DESC LIMIT %s
    """  # noqa: S608 - the interpolated parts are constants of this function
    return sql, params


def _sqlite_query(match: str, window: int | None) -> tuple[str, list[str | int]]:
    message_window = ticket_window = ""
    message_params: list[str | int] = [match]
    ticket_params: list[str | int] = [match]
    if window is not None:
        message_window = (
            "AND tickets_message_fts.rowid > (SELECT max(id) FROM tickets_message) - %s"
        )
        ticket_window = "AND tickets_ticket_fts.rowid > (SELECT max(id) FROM tickets_ticket) - %s"
        message_params.append(window)
        ticket_params.append(window // 4)
    sql = f"""
        SELECT id FROM (
            SELECT m.ticket_id AS id, bm25(tickets_message_fts) AS rank
            FROM tickets_message_fts JOIN tickets_message m
              ON m.id = tickets_message_fts.rowid
            WHERE tickets_message_fts MATCH %s {message_window}
            UNION ALL
            SELECT rowid AS id, 2 * bm25(tickets_ticket_fts) AS rank
            FROM tickets_ticket_fts WHERE tickets_ticket_fts MATCH %s {ticket_window}
        ) GROUP BY id ORDER BY sum(rank) ASC, id DESC LIMIT %s
    """  # noqa: S608 - the interpolated parts are constants of this function
    return sql, [*message_params, *ticket_params]
