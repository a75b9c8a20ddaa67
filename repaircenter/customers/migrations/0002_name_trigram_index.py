"""An index that finds customers by any part of their name (at least three letters) among
millions: on PostgreSQL a trigram GIN index (pg_trgm) on the folded name, on SQLite an FTS5 table
with the trigram tokenizer, kept in step with the customers table by triggers.

Neither is part of the model state: each database gets its own kind, and the search
(customers/lookup.py, `customers_named`) asks each in its own way."""

from django.db import migrations

SQLITE_TABLE = "customers_customer_name_trigrams"

SQLITE_FORWARD = [
    f"CREATE VIRTUAL TABLE {SQLITE_TABLE} USING fts5(name_key, content='customers_customer', "
    "content_rowid='id', tokenize='trigram')",
    f"CREATE TRIGGER customers_name_trigrams_insert AFTER INSERT ON customers_customer BEGIN "
    f"INSERT INTO {SQLITE_TABLE}(rowid, name_key) VALUES (new.id, new.name_key); END",
    f"CREATE TRIGGER customers_name_trigrams_delete AFTER DELETE ON customers_customer BEGIN "
    f"INSERT INTO {SQLITE_TABLE}({SQLITE_TABLE}, rowid, name_key) "
    "VALUES ('delete', old.id, old.name_key); END",
    f"CREATE TRIGGER customers_name_trigrams_update AFTER UPDATE OF name_key ON "
    f"customers_customer BEGIN "
    f"INSERT INTO {SQLITE_TABLE}({SQLITE_TABLE}, rowid, name_key) "
    "VALUES ('delete', old.id, old.name_key); "
    f"INSERT INTO {SQLITE_TABLE}(rowid, name_key) VALUES (new.id, new.name_key); END",
    # The customers already there.
    f"INSERT INTO {SQLITE_TABLE}({SQLITE_TABLE}) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS customers_name_trigrams_insert",
    "DROP TRIGGER IF EXISTS customers_name_trigrams_delete",
    "DROP TRIGGER IF EXISTS customers_name_trigrams_update",
    f"DROP TABLE IF EXISTS {SQLITE_TABLE}",
]
POSTGRES_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS customer_name_trigrams ON customers_customer "
    "USING gin (name_key gin_trgm_ops)",
]
POSTGRES_BACKWARD = ["DROP INDEX IF EXISTS customer_name_trigrams"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, ()):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ("customers", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        ),
    ]
