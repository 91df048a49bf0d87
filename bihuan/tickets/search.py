"""Ranked full-text search over ticket subjects and messages, in the database itself.

SQLite: FTS5 tables kept in sync by triggers (see migration 0002), ranked by bm25.
PostgreSQL: GIN indexes on ``to_tsvector('simple', …tokens)``, ranked by ts_rank.
Both index the jieba-segmented token columns, so Chinese words match inside sentences.
"""

from __future__ import annotations

from django.db import connection

from bihuan.core.text_search import query_tokens

CANDIDATES = 500


def _fts5_query(words: list[str]) -> str:
    return " ".join('"' + w.replace('"', '""') + '"' for w in words)


def ranked_ticket_ids(query: str, *, limit: int = CANDIDATES) -> list[int]:
    """Ticket ids matching every word of ``query`` in the subject or one message, best first."""
    words = query_tokens(query)
    if not words:
        return []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                """
                WITH q AS (SELECT plainto_tsquery('simple', %s) AS query),
                hits AS (
                    SELECT m.ticket_id AS id,
                           ts_rank(to_tsvector('simple', m.search_tokens), q.query) AS rank
                    FROM tickets_message m, q
                    WHERE to_tsvector('simple', m.search_tokens) @@ q.query
                    UNION ALL
                    SELECT t.id, 2 * ts_rank(to_tsvector('simple', t.subject_tokens), q.query)
                    FROM tickets_ticket t, q
                    WHERE to_tsvector('simple', t.subject_tokens) @@ q.query
                )
                SELECT id FROM hits GROUP BY id ORDER BY sum(rank) DESC, id DESC LIMIT %s
                """,
                [" ".join(words), limit],
            )
        else:
            match = _fts5_query(words)
            cursor.execute(
                """
                SELECT id FROM (
                    SELECT m.ticket_id AS id, bm25(tickets_message_fts) AS rank
                    FROM tickets_message_fts JOIN tickets_message m
                      ON m.id = tickets_message_fts.rowid
                    WHERE tickets_message_fts MATCH %s
                    UNION ALL
                    SELECT rowid AS id, 2 * bm25(tickets_ticket_fts) AS rank
                    FROM tickets_ticket_fts WHERE tickets_ticket_fts MATCH %s
                ) GROUP BY id ORDER BY sum(rank) ASC, id DESC LIMIT %s
                """,
                [match, match, limit],
            )
        return [int(row[0]) for row in cursor.fetchall()]
