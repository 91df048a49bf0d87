"""Full-text indexes over the jieba-segmented token columns.

SQLite: FTS5 external-content tables kept in sync by triggers.
PostgreSQL: GIN indexes on to_tsvector('simple', …) (the tokens are already segmented).
"""

from django.db import migrations

SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE tickets_message_fts USING fts5("
    "search_tokens, content='tickets_message', content_rowid='id', tokenize='unicode61')",
    "CREATE TRIGGER tickets_message_fts_ai AFTER INSERT ON tickets_message BEGIN "
    "INSERT INTO tickets_message_fts(rowid, search_tokens) VALUES (new.id, new.search_tokens); END",
    "CREATE TRIGGER tickets_message_fts_ad AFTER DELETE ON tickets_message BEGIN "
    "INSERT INTO tickets_message_fts(tickets_message_fts, rowid, search_tokens) "
    "VALUES ('delete', old.id, old.search_tokens); END",
    "CREATE TRIGGER tickets_message_fts_au AFTER UPDATE OF search_tokens ON tickets_message BEGIN "
    "INSERT INTO tickets_message_fts(tickets_message_fts, rowid, search_tokens) "
    "VALUES ('delete', old.id, old.search_tokens); "
    "INSERT INTO tickets_message_fts(rowid, search_tokens) VALUES (new.id, new.search_tokens); END",
    "CREATE VIRTUAL TABLE tickets_ticket_fts USING fts5("
    "subject_tokens, content='tickets_ticket', content_rowid='id', tokenize='unicode61')",
    "CREATE TRIGGER tickets_ticket_fts_ai AFTER INSERT ON tickets_ticket BEGIN "
    "INSERT INTO tickets_ticket_fts(rowid, subject_tokens) VALUES (new.id, new.subject_tokens); END",
    "CREATE TRIGGER tickets_ticket_fts_ad AFTER DELETE ON tickets_ticket BEGIN "
    "INSERT INTO tickets_ticket_fts(tickets_ticket_fts, rowid, subject_tokens) "
    "VALUES ('delete', old.id, old.subject_tokens); END",
    "CREATE TRIGGER tickets_ticket_fts_au AFTER UPDATE OF subject_tokens ON tickets_ticket BEGIN "
    "INSERT INTO tickets_ticket_fts(tickets_ticket_fts, rowid, subject_tokens) "
    "VALUES ('delete', old.id, old.subject_tokens); "
    "INSERT INTO tickets_ticket_fts(rowid, subject_tokens) VALUES (new.id, new.subject_tokens); END",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS tickets_ticket_fts_au",
    "DROP TRIGGER IF EXISTS tickets_ticket_fts_ad",
    "DROP TRIGGER IF EXISTS tickets_ticket_fts_ai",
    "DROP TABLE IF EXISTS tickets_ticket_fts",
    "DROP TRIGGER IF EXISTS tickets_message_fts_au",
    "DROP TRIGGER IF EXISTS tickets_message_fts_ad",
    "DROP TRIGGER IF EXISTS tickets_message_fts_ai",
    "DROP TABLE IF EXISTS tickets_message_fts",
]
POSTGRES_FORWARD = [
    "CREATE INDEX IF NOT EXISTS message_search_gin ON tickets_message "
    "USING gin (to_tsvector('simple', search_tokens))",
    "CREATE INDEX IF NOT EXISTS ticket_subject_search_gin ON tickets_ticket "
    "USING gin (to_tsvector('simple', subject_tokens))",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS ticket_subject_search_gin",
    "DROP INDEX IF EXISTS message_search_gin",
]


def forward(apps, schema_editor):
    statements = {"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}
    for sql in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def backward(apps, schema_editor):
    statements = {"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}
    for sql in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
