"""The database cache, with an increment that cannot lose counts and a cull that keeps live keys.

Django's DatabaseCache inherits BaseCache.incr, which is get() then set(): two processes
incrementing the same key at once both read 3 and both write 4. The rate limits
(accounts.throttling) count with add() + incr(), so here incr reads the row with SELECT ... FOR
UPDATE and rewrites it in the same transaction: on MySQL/MariaDB the row lock makes concurrent
increments queue; SQLite runs every transaction with BEGIN IMMEDIATE (ektor.settings), which
takes the database's write lock first, so there too they queue. Values, keys and expiry are
stored exactly as Django stores them, so the table (made by ektor's first
migration with `createcachetable`'s own code) is unchanged.

Django's cull, once the table holds more than MAX_ENTRIES rows, deletes expired rows and then
the first third of the live keys in key order. A client could then reset its own rate-limit
counters by sending requests that make many other counters (one per made-up username): its
address counter sorts first. Here the cull deletes expired rows only. The table stays bounded
all the same: every entry the app writes expires (rate-limit counters within a few minutes,
counts within COUNT_TTL) except the four whole-table count versions.

Django's add() is already safe against a concurrent add of the same new key (the second INSERT
fails on the primary key and add() answers False). What it is not safe against: re-adding a key
whose row has expired while another process does the same; callers that need exact counts use
a fresh key per counting window (as the rate limits do) so an expired row is never re-added.
"""

import base64
import pickle

from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.db import connections, models, router, transaction
from django.utils.timezone import now as tz_now


class DatabaseCache(DjangoDatabaseCache):
    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        quote_name = connection.ops.quote_name
        table = quote_name(self._table)
        cache_key, value_column = quote_name("cache_key"), quote_name("value")
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        # Only quoted names are interpolated; the key and the value are parameters.
        select = (
            f"SELECT {value_column}, {quote_name('expires')} FROM {table} "  # noqa: S608
            f"WHERE {cache_key} = %s{lock}"
        )
        update = f"UPDATE {table} SET {value_column} = %s WHERE {cache_key} = %s"  # noqa: S608
        with transaction.atomic(using=db), connection.cursor() as cursor:
            cursor.execute(select, [key])
            row = cursor.fetchone()
            if row is None or self._expires(row[1], connection) < tz_now():
                raise ValueError(f"Key '{key}' not found")
            stored = connection.ops.process_clob(row[0])
            value = pickle.loads(base64.b64decode(stored.encode())) + delta  # noqa: S301
            pickled = pickle.dumps(value, self.pickle_protocol)
            cursor.execute(update, [base64.b64encode(pickled).decode("latin1"), key])
        return value

    @staticmethod
    def _expires(value, connection):
        """The `expires` column as an aware or naive datetime, as Django's get_many reads it."""
        expression = models.Expression(output_field=models.DateTimeField())
        converters = connection.ops.get_db_converters(expression) + expression.get_db_converters(
            connection
        )
        for converter in converters:
            value = converter(value, expression, connection)
        return value

    def _cull(self, db, cursor, now, num):
        """Delete the expired rows only (see the module's docstring)."""
        connection = connections[db]
        table = connection.ops.quote_name(self._table)
        expires = connection.ops.quote_name("expires")
        cursor.execute(
            f"DELETE FROM {table} WHERE {expires} < %s",  # noqa: S608 (quoted names only)
            [connection.ops.adapt_datetimefield_value(now)],
        )
