"""The rate-limit counts in an unlogged table on PostgreSQL.

Every request a stranger makes writes its count (core/ratelimit.py); in a logged table each of
those commits waits for the write-ahead log to reach the disk (0.35 ms a request on an idle
machine, several under write load). An unlogged table writes no log: the counts are still one
table that every process and every server counts against, but a crash of PostgreSQL empties it,
which only starts the current windows again. SQLite has no such tables and keeps its own.
"""

from django.db import migrations


def _alter(persistence: str):
    def alter(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        table = schema_editor.quote_name(apps.get_model("core", "RateCount")._meta.db_table)
        schema_editor.execute(f"ALTER TABLE {table} SET {persistence}")

    return alter


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0007_lang_center_texts"),
    ]

    operations = [
        migrations.RunPython(_alter("UNLOGGED"), _alter("LOGGED"), elidable=False),
    ]
