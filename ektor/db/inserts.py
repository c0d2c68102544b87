"""New rows of one model inserted with one `executemany` (the MySQL driver sends multi-row
INSERTs, SQLite runs the statement once per row in C), for writes of thousands of rows: there
building a model instance per row and compiling `bulk_create`'s SQL value by value cost more
than the database's own work.

The statement and each column's conversion come from the model's fields, once per call. The
caller gives every value (no field defaults, no `auto_now`, no signals) and learns no ids:
read back what it needs by what is unique in what it wrote."""

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connections, models, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.operations import BaseDatabaseOperations

# Columns whose Python values the drivers take as they are (ints, strings, booleans, None).
_AS_IS = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "IntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SmallIntegerField",
        "TextField",
    }
)


def _converter(
    field: "models.Field[Any, Any]", connection: BaseDatabaseWrapper
) -> Callable[[Any], Any] | None:
    """What a value of `field` becomes for the driver (None: the value as it is)."""
    kind = field.get_internal_type()
    if kind == "ForeignKey":
        return _converter(field.target_field, connection)  # type: ignore[attr-defined]
    if kind in _AS_IS:
        return None
    ops = connection.ops
    # A bulk write's dates and moments are mostly a few values repeated (its day, its now).
    if kind == "DateField":
        return functools.lru_cache(maxsize=64)(ops.adapt_datefield_value)
    if kind == "DateTimeField":
        return functools.lru_cache(maxsize=64)(ops.adapt_datetimefield_value)
    if kind == "DecimalField":
        if type(ops).adapt_decimalfield_value is BaseDatabaseOperations.adapt_decimalfield_value:
            return None  # the backends' default: the drivers take Decimals
        digits, places = field.max_digits, field.decimal_places  # type: ignore[attr-defined]
        return lambda value: ops.adapt_decimalfield_value(value, digits, places)
    return lambda value: field.get_db_prep_save(value, connection)


def insert_many(
    model: type[models.Model], names: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Insert `rows` (each its values in the order of `names`, the fields' attnames: `invoice_id`,
    not `invoice`) into `model`'s table in one executemany; return how many."""
    connection = connections[router.db_for_write(model)]
    fields = {f.attname: f for f in model._meta.concrete_fields}
    columns = [fields[name] for name in names]
    converters = [(i, c) for i, f in enumerate(columns) if (c := _converter(f, connection))]
    params = []
    for row in rows:
        values = list(row)
        for index, convert in converters:
            if values[index] is not None:
                values[index] = convert(values[index])
        params.append(values)
    if not params:
        return 0
    quote = connection.ops.quote_name
    table = quote(str(model._meta.db_table))
    # Only quoted model names are interpolated; the values are parameters.
    sql = (
        f"INSERT INTO {table} "  # noqa: S608
        f"({', '.join(quote(str(f.column)) for f in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
    return len(params)
