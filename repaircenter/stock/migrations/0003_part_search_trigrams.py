"""The estimate editor finds a part by any piece of its code, name or the models it fits among a
supplier-sized catalogue (100,000 parts): on PostgreSQL a trigram GIN index on the three folded
columns, the expressions Django's `icontains` writes (`UPPER(col::text) LIKE UPPER(…)`). SQLite,
one center's catalogue, reads the table."""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS stock_part_search ON stock_part USING gin "
    "((UPPER(sku::text)) gin_trgm_ops, (UPPER(name::text)) gin_trgm_ops, "
    "(UPPER(fits::text)) gin_trgm_ops)",
]
BACKWARD = ["DROP INDEX IF EXISTS stock_part_search"]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in FORWARD:
            schema_editor.execute(sql)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in BACKWARD:
            schema_editor.execute(sql)


class Migration(migrations.Migration):

    dependencies = [
        ("stock", "0002_part_warranty"),
    ]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
