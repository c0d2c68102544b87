"""New rows of one model inserted in bulk by statements written from the model's metadata, for
writes where building the ORM's insert (`bulk_create`'s compiler, value by value) cost more than
the database's own work (docs/performance.md):

- `insert_many`: thousands of rows as tuples of values, one `executemany` (the MySQL driver
  sends multi-row INSERTs, SQLite runs the statement once per row in C); the caller gives every
  value (no field defaults, no `auto_now`, no signals) and learns no ids: it reads back what it
  needs by what is unique in what it wrote.
- `insert_rows`: a few model instances, each with its id set after, through the fields as the
  ORM's insert puts them (`pre_save`, `get_db_prep_save`); as `bulk_create`, no post_save
  signal (no model it writes has a receiver)."""

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from django.db import connections, models, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.operations import BaseDatabaseOperations

_M = TypeVar("_M", bound=models.Model)

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


def _insert_head(
    connection: BaseDatabaseWrapper,
    model: type[models.Model],
    columns: "Sequence[models.Field[Any, Any]]",
) -> str:
    """`INSERT INTO table (columns) VALUES ` for `columns` of `model`'s table."""
    quote = connection.ops.quote_name
    # Only quoted model names are interpolated; the values are parameters.
    return (
        f"INSERT INTO {quote(str(model._meta.db_table))} "  # noqa: S608
        f"({', '.join(quote(str(f.column)) for f in columns)}) VALUES "
    )


def _row_values(columns: int) -> str:
    return "(" + ", ".join(["%s"] * columns) + ")"


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
    sql = _insert_head(connection, model, columns) + _row_values(len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
    return len(params)


def insert_rows(rows: list[_M]) -> list[_M]:
    """Insert new rows of one model, each with its id set after: one INSERT ... RETURNING per
    batch where the database returns the ids of a multi-row insert (MariaDB 10.5+, SQLite), one
    `save()` per row where it does not (MySQL), whose ids the audit trail would lack."""
    if not rows:
        return rows
    model = type(rows[0])
    alias = router.db_for_write(model)
    connection = connections[alias]
    meta = model._meta
    if not connection.features.can_return_rows_from_bulk_insert:
        for row in rows:
            row.save(force_insert=True)
        return rows
    fields = [field for field in meta.concrete_fields if field is not meta.auto_field]
    returned = meta.db_returning_fields
    if meta.auto_field is None or returned != [meta.auto_field]:
        raise ValueError(f"{meta.label}: insert_rows writes rows whose only returned value is id")
    # The backends that return a multi-row insert's ids (MariaDB, SQLite) all write RETURNING.
    returning, _ = connection.ops.return_insert_columns(returned)  # type: ignore[attr-defined]
    size = max(1, connection.ops.bulk_batch_size(fields, rows))
    head, values = _insert_head(connection, model, fields), _row_values(len(fields))
    for start in range(0, len(rows), size):
        batch = rows[start : start + size]
        params = [
            field.get_db_prep_save(field.pre_save(row, True), connection)
            for row in batch
            for field in fields
        ]
        with connection.cursor() as cursor:
            cursor.execute(f"{head}{', '.join([values] * len(batch))} {returning}", params)
            ids = cursor.fetchall()
        for row, (pk,) in zip(batch, ids, strict=True):
            setattr(row, meta.auto_field.attname, pk)
            row._state.adding = False
            row._state.db = alias
    return rows
