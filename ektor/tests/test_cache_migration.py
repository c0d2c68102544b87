"""`migrate` alone makes the cache table (ektor/migrations/0001_cache_table.py)."""

import json
from importlib import import_module

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from ektor.testing import PRODUCTION_ENV, run_django

CACHE_TABLE = import_module("ektor.migrations.0001_cache_table").CACHE_TABLE


def tables() -> list[str]:
    return connection.introspection.table_names()


def test_the_migration_makes_the_table_the_settings_name():
    if settings.CACHES["default"]["BACKEND"] == "ektor.cache.DatabaseCache":
        assert settings.CACHES["default"]["LOCATION"] == CACHE_TABLE


@pytest.mark.django_db(transaction=True)
def test_cache_table_migration_reverses_and_keeps_a_table_createcachetable_made():
    table = CACHE_TABLE
    try:
        call_command("migrate", "ektor", "zero", verbosity=0)
        assert table not in tables()
        call_command("migrate", "ektor", verbosity=0)
        assert table in tables()

        # A deployment from before the migration: the table came from createcachetable.
        call_command("migrate", "ektor", "zero", verbosity=0)
        call_command("createcachetable", table, verbosity=0)
        call_command("migrate", "ektor", verbosity=0)
        assert table in tables()
    finally:
        call_command("migrate", "ektor", verbosity=0)


def test_sign_in_works_after_migrate_alone():
    code = (
        "import django, json; django.setup();"
        "from django.core.management import call_command;"
        "call_command('migrate', verbosity=0);"
        "from accounts.services import user_create; from core.context import Ctx;"
        "user_create(Ctx.system(), username='owner', email='owner@example.com',"
        " password='Pool-cleaner-42');"
        "from django.test import Client;"
        "r = Client().post('/api/v1/auth/token',"
        " {'username': 'owner', 'password': 'Pool-cleaner-42'}, content_type='application/json');"
        "print(json.dumps({'status': r.status_code, 'health': Client().get('/health').json()}))"
    )
    result = run_django(code, **PRODUCTION_ENV, DATABASE_URL="sqlite://:memory:")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["status"] == 200
    assert out["health"]["cache"] == "ok"
