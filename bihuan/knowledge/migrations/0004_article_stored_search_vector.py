"""PostgreSQL: keep the weighted tsvector of each article in a stored generated column.

Ranking needs the vector of every matching row; computed from the token columns on the fly
that was ~0.4 s at 10,000 articles for a common word (bench/knowledge_search.py). Stored, the
search reads it from the row and the GIN index is on the column itself. SQLite keeps FTS5.
"""

from django.db import migrations

VECTOR = (
    "setweight(to_tsvector('simple', title_tokens), 'A') || "
    "setweight(to_tsvector('simple', body_tokens), 'B')"
)
POSTGRES_FORWARD = [
    "DROP INDEX IF EXISTS article_search_gin",
    f"ALTER TABLE knowledge_article ADD COLUMN search_vector tsvector "
    f"GENERATED ALWAYS AS ({VECTOR}) STORED",
    "CREATE INDEX article_search_vector_gin ON knowledge_article USING gin (search_vector)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS article_search_vector_gin",
    "ALTER TABLE knowledge_article DROP COLUMN IF EXISTS search_vector",
    f"CREATE INDEX IF NOT EXISTS article_search_gin ON knowledge_article USING gin (({VECTOR}))",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in POSTGRES_FORWARD:
            schema_editor.execute(sql)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in POSTGRES_BACKWARD:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0003_macros")]

    operations = [migrations.RunPython(forward, backward)]
