"""PostgreSQL reads the customers table without parallel workers.

The search looks for a name's pattern through the trigram index without showing the pattern to
the planner (core.statements.Unseen), which then guesses that one in two hundred customers
match: at a million orders, two thousand, enough for it to start a worker process to read them
with. Starting one costs 4–7 ms; the index finds the few that match in a tenth of one. No read
of customers needs a second process: a page reads a customer or a few through an index, and the
two cores serve the web workers."""

from django.db import migrations


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ("customers", "0004_lang_language"),
    ]

    operations = [
        migrations.RunPython(
            _on_postgresql("ALTER TABLE customers_customer SET (parallel_workers = 0)"),
            _on_postgresql("ALTER TABLE customers_customer RESET (parallel_workers)"),
        ),
    ]
