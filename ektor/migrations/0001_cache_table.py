"""The database cache's table (CACHES in settings), so that `migrate` is the only schema step.

Deployments older than this migration made the table with `manage.py createcachetable`;
Django's command skips a table that exists, so the migration does too. The table is made
whether or not REDIS_URL is set: a server that later drops Redis finds it ready.
"""

from django.core.management import call_command
from django.db import migrations

# Settings' CACHES["default"]["LOCATION"] when no REDIS_URL is set (a test keeps them equal).
CACHE_TABLE = "ektor_cache"


def create_cache_table(apps, schema_editor):
    call_command(
        "createcachetable", CACHE_TABLE, database=schema_editor.connection.alias, verbosity=0
    )


def drop_cache_table(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(CACHE_TABLE)}")


class Migration(migrations.Migration):
    # DDL: MySQL/MariaDB cannot run it inside a transaction (it would commit it anyway).
    atomic = False
    dependencies = []

    operations = [migrations.RunPython(create_cache_table, drop_cache_table, elidable=False)]
