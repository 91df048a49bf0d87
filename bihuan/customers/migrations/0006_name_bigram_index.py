"""PostgreSQL: an index that finds customers by any part of their name.

The search box and the customer list match names by containment (``name`` contains the text,
case-insensitively). No B-tree serves ``LIKE '%…%'``, so at 400,000 customers a text that
matches no name (退款, "refund") read the whole table: 300 ms (docs/performance.md). A trigram
index (pg_trgm) cannot serve it either for the commonest case here — a two-character Chinese
name or word has no trigram — so the index is on the name's *bigrams*: the set of pairs of
adjacent characters of ``upper(name)``. A name contains the text only if it holds every
bigram of the text, so ``customer_name_bigrams(name) @> customer_name_bigrams(text)`` is a
necessary condition the GIN index answers from the posting lists of the text's few bigrams;
the containment test itself then runs on those rows only (``customers.queries``).

Plain SQL, no extension: any PostgreSQL role that owns the tables can run it. SQLite: nothing
(the embedded mode holds a few thousand customers; its scan costs a few ms).
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

POSTGRES_FORWARD = [
    # The distinct pairs of adjacent characters of upper(name); '{}' for fewer than two.
    """
    CREATE OR REPLACE FUNCTION customer_name_bigrams(name text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
        SELECT coalesce(array_agg(DISTINCT substr(upper(name), i, 2)), '{}')
        FROM generate_series(1, char_length(name) - 1) AS i
    $$
    """,
    "CREATE INDEX IF NOT EXISTS customer_name_bigram_idx ON customers_customer "
    "USING gin (customer_name_bigrams(name::text))",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS customer_name_bigram_idx",
    "DROP FUNCTION IF EXISTS customer_name_bigrams(text)",
]


def forward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for sql in POSTGRES_FORWARD:
            schema_editor.execute(sql)


def backward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for sql in POSTGRES_BACKWARD:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("customers", "0005_phones_in_e164_and_ascii_email_domains")]

    operations = [migrations.RunPython(forward, backward)]
