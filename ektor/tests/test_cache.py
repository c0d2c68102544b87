"""ektor.cache.DatabaseCache: Django's database cache with an increment that loses no counts."""

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from ektor.testing import run_at_once

pytestmark = pytest.mark.skipif(
    settings.CACHES["default"]["BACKEND"] != "ektor.cache.DatabaseCache",
    reason="the cache is Redis (REDIS_URL is set)",
)


@pytest.mark.django_db
def test_incr_counts_what_add_created_and_get_reads_it():
    assert cache.add("attempts", 0, 60)
    assert not cache.add("attempts", 0, 60)  # already there: left alone
    assert [cache.incr("attempts") for _ in range(3)] == [1, 2, 3]
    assert cache.incr("attempts", 5) == 8
    assert cache.decr("attempts") == 7
    assert cache.get("attempts") == 7


@pytest.mark.django_db
def test_incr_of_a_missing_or_expired_key_is_a_value_error():
    with pytest.raises(ValueError, match="not found"):
        cache.incr("never-added")
    cache.set("stale", 4, 60)
    table = connection.ops.quote_name(settings.CACHES["default"]["LOCATION"])
    with connection.cursor() as cursor:
        # The row is still there, but past its expiry: as good as gone.
        cursor.execute(f"UPDATE {table} SET expires = %s", ["2000-01-01 00:00:00"])  # noqa: S608
    with pytest.raises(ValueError, match="not found"):
        cache.incr("stale")


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True)
def test_increments_from_many_threads_at_once_are_all_counted():
    threads, each = 8, 25
    cache.add("hammered", 0, 300)

    def work() -> None:
        for _ in range(each):
            cache.incr("hammered")

    assert run_at_once(*[work] * threads) == [None] * threads
    assert cache.get("hammered") == threads * each
    cache.clear()


@pytest.mark.django_db
def test_a_full_table_loses_its_expired_rows_and_keeps_every_live_one():
    from ektor.cache import DatabaseCache

    small = DatabaseCache(settings.CACHES["default"]["LOCATION"], {"OPTIONS": {"MAX_ENTRIES": 3}})
    small.set_many({f"old-{n}": n for n in range(3)}, timeout=-10)  # already expired
    for n in range(6):
        small.set(f"live-{n}", n, 60)
    assert small.get_many([f"live-{n}" for n in range(6)]) == {f"live-{n}": n for n in range(6)}
    table = connection.ops.quote_name(settings.CACHES["default"]["LOCATION"])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE cache_key LIKE %s", ["%old-%"])  # noqa: S608
        assert cursor.fetchone()[0] == 0
