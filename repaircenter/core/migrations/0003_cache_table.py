from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    # The rate-limit counters live in a cache table (settings.CACHES); creating it here means a
    # plain `migrate` is all a deployment needs.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_holidays_diagnostics_fee")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
