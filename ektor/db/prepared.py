"""A queryset whose SQL is compiled once per process and database, then run with new parameters.

Building a queryset with filters, subqueries and annotations and compiling it to SQL costs the
ORM more CPU than the database spends answering a small query: the statement's three querysets
took about 60% of its request (docs/performance.md). A `PreparedQuery` builds its queryset once
from placeholder values, keeps the compiled SQL, and on each call only puts the call's values
in the placeholders' places among the parameters; the rows go through the compiler's own
converters and become model instances (with their annotations) as a queryset would make them.

The builder must pass every value that varies per call as one of its parameters; anything else
it reads is fixed for the life of the process. Each placeholder must reach the SQL as a
parameter (compiling fails loudly if one is inlined or dropped).

A `values()` queryset's rows come back as its dicts (the same keys and converted values), for
reads that build no model instances (a technician's route).

A `Contains` parameter is a text the builder matches with `contains`/`icontains` lookups: the
SQL gets it as those lookups give it, its LIKE wildcards escaped, between `%`. A
`PreparedSearch` is a `PreparedPage` of a list searched by words, compiled once per number of
words.
"""

import datetime
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.query import ValuesIterable
from django.db.models.sql.compiler import SQLCompiler

# What a row comes back as: the model instance, or a values() queryset's dict.
R = TypeVar("R")
M = TypeVar("M", bound=Model)


class Contains(str):
    """The kind of a text parameter found with `contains`/`icontains` lookups."""


def _placeholder(kind: type, n: int) -> Any:
    """The n-th parameter's placeholder: a value no query writes itself (a negative id, a date
    in the 12th century, a word of letters and digits no one searches), distinct from the
    others."""
    if kind is int:
        return -7_301_001 - n
    if kind is datetime.date:
        return datetime.date(1101 + n, 1, 1)
    if kind is Contains:
        return f"zqprepared{7_301_001 + n}zq"
    raise TypeError(f"{kind.__name__}: only int, datetime.date and Contains parameters")


def _adapter(kind: type, ops: Any) -> Callable[[Any], Any]:
    """From a call's value to the SQL parameter the ORM's lookup would have made of it."""
    if kind is int:
        return int
    if kind is Contains:
        # As Django's pattern lookups (PatternLookup.process_rhs with "%%%s%%").
        return lambda value: f"%{ops.prep_for_like_query(value)}%"
    return ops.adapt_datefield_value  # type: ignore[no-any-return]


def _placeholders(parameters: dict[str, type]) -> dict[str, Any]:
    return {name: _placeholder(kind, n) for n, (name, kind) in enumerate(parameters.items())}


def _checked(queryset: QuerySet[M]) -> QuerySet[M]:
    # The rows are read with a cursor, past the queryset's own evaluation: a tenant model's
    # tripwire (tenancy/scoping.py) checks the company is pinned here instead.
    trip = getattr(queryset, "_trip", None)
    if trip is not None:
        trip()
    return queryset


_Slots = tuple[tuple[int, str, Callable[[Any], Any]], ...]


def _slots(
    params: Sequence[Any], placeholders: dict[str, Any], parameters: dict[str, type], using: str
) -> _Slots:
    """Where each placeholder sits among the compiled parameters, with its adapter."""
    ops = connections[using].ops
    adapters = {name: _adapter(kind, ops) for name, kind in parameters.items()}
    slots = []
    for position, param in enumerate(params):
        for name, placeholder in placeholders.items():
            sql_value = adapters[name](placeholder)
            if type(param) is type(sql_value) and param == sql_value:
                slots.append((position, name, adapters[name]))
    missing = set(placeholders) - {name for _, name, _ in slots}
    if missing:
        raise ValueError(f"not a parameter of the compiled SQL: {sorted(missing)}")
    return tuple(slots)


def _value_names(query: Any) -> tuple[str, ...]:
    """A values() query's keys, in its columns' order (as Django's ValuesIterable names them)."""
    return tuple(
        query.selected or (*query.extra_select, *query.values_select, *query.annotation_select)
    )


def _bound(params: Sequence[Any], slots: _Slots, values: dict[str, Any]) -> list[Any]:
    bound = list(params)
    for position, name, adapt in slots:
        bound[position] = adapt(values[name])
    return bound


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    # (position in params, parameter name, adapter from the call's value to the SQL parameter)
    slots: _Slots
    compiler: SQLCompiler
    using: str
    init_list: tuple[str, ...]
    model_fields: slice
    # A values() queryset's keys, in the order of its columns (None: model instances).
    names: tuple[str, ...] | None
    # The compiler's converters of the columns (as results_iter finds them on every call).
    converters: dict[int, Any]


class PreparedQuery(Generic[R]):
    """`PreparedQuery(build, customer_id=int, from_date=datetime.date)`: `build(customer_id=...,
    from_date=...)` returns the queryset; calling the prepared query with the same keywords
    returns its rows as a list of model instances (dicts for a `values()` queryset)."""

    def __init__(self, build: Callable[..., QuerySet[Any, R]], **parameters: type) -> None:
        self._build = build
        self._parameters = parameters
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()
        self._model: type[Model] | None = None

    def __call__(self, **values: Any) -> list[R]:
        if values.keys() != self._parameters.keys():
            raise TypeError(f"expected the parameters {sorted(self._parameters)}")
        using = router.db_for_read(self._model) if self._model else None
        compiled = (using and self._compiled.get(using)) or self._compile(using)
        params = _bound(compiled.params, compiled.slots, values)
        with connections[compiled.using].cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        if compiled.converters:
            rows = list(compiled.compiler.apply_converters(rows, compiled.converters))
        if compiled.names is not None:
            # As ValuesIterable: the first len(names) columns (an ordering may add more).
            named = tuple(enumerate(compiled.names))
            dicts: list[Any] = [{name: row[i] for i, name in named} for row in rows]
            return dicts
        return self._instances(compiled, rows)

    def _compile(self, using: str | None) -> _Compiled:
        with self._lock:
            placeholders = _placeholders(self._parameters)
            queryset = _checked(self._build(**placeholders))
            self._model = queryset.model
            using = using or queryset.db
            if using in self._compiled:
                return self._compiled[using]
            queryset = queryset.using(using)
            compiler = queryset.query.get_compiler(using=using)
            sql, params = compiler.as_sql()
            slots = _slots(params, placeholders, self._parameters, using)
            names: tuple[str, ...] | None = None
            init: tuple[str, ...] = ()
            model_fields = slice(0)
            if issubclass(queryset._iterable_class, ValuesIterable):
                names = _value_names(queryset.query)
            elif compiler.klass_info is None or compiler.klass_info.get("related_klass_infos"):
                raise ValueError("a prepared query selects one model's rows (no select_related)")
            else:
                fields = compiler.klass_info["select_fields"]
                model_fields = slice(fields[0], fields[-1] + 1)
                init = tuple(column[0].target.attname for column in compiler.select[model_fields])
            compiled = _Compiled(
                sql=sql,
                params=tuple(params),
                slots=slots,
                compiler=compiler,
                using=using,
                init_list=init,
                model_fields=model_fields,
                names=names,
                converters=compiler.get_converters(
                    [column[0] for column in compiler.select[: compiler.col_count]]
                ),
            )
            self._compiled[using] = compiled
            return compiled

    @staticmethod
    def _instances(compiled: _Compiled, rows: list[Sequence[Any]]) -> list[Any]:
        # As Django's ModelIterable (the rows converted already): from_db, then annotations.
        compiler = compiled.compiler
        model: type[Model] = compiler.klass_info["model"]
        annotations = compiler.annotation_col_map.items()
        init_list = list(compiled.init_list)
        instances = []
        for row in rows:
            instance = model.from_db(compiled.using, init_list, row[compiled.model_fields])
            for name, position in annotations:
                setattr(instance, name, row[position])
            instances.append(instance)
        return instances


@dataclass(frozen=True)
class _CompiledPage:
    sql: str
    count_sql: str
    params: tuple[Any, ...]
    count_params: tuple[Any, ...]
    slots: _Slots
    count_slots: _Slots
    compiler: SQLCompiler
    using: str
    names: tuple[str, ...]


class PreparedPage:
    """A list's pages and its count, compiled once per process and database:
    `PreparedPage(build, company_id=int)` where `build(company_id=...)` returns a `values()`
    queryset of one table, ordered and not sliced. `count(company_id=...)` is its rows'
    `COUNT(*)`; `page(offset, limit, company_id=...)` its rows in that window, as `values()`
    dicts (the compiler's converters applied, as Django's ValuesIterable gives them)."""

    def __init__(self, build: Callable[..., QuerySet[Any]], **parameters: type) -> None:
        self._build = build
        self._parameters = parameters
        self._compiled: dict[str, _CompiledPage] = {}
        self._lock = threading.Lock()
        self._model: type[Model] | None = None

    def count(self, **values: Any) -> int:
        compiled = self._ready(values)
        with connections[compiled.using].cursor() as cursor:
            cursor.execute(
                compiled.count_sql, _bound(compiled.count_params, compiled.count_slots, values)
            )
            return int(cursor.fetchone()[0])

    def page(self, offset: int, limit: int, **values: Any) -> list[dict[str, Any]]:
        compiled = self._ready(values)
        ops = connections[compiled.using].ops
        sql = f"{compiled.sql} {ops.limit_offset_sql(offset, offset + limit)}"
        with connections[compiled.using].cursor() as cursor:
            cursor.execute(sql, _bound(compiled.params, compiled.slots, values))
            rows = cursor.fetchall()
        names = compiled.names
        return [
            dict(zip(names, row, strict=True)) for row in compiled.compiler.results_iter([rows])
        ]

    def _ready(self, values: dict[str, Any]) -> _CompiledPage:
        if values.keys() != self._parameters.keys():
            raise TypeError(f"expected the parameters {sorted(self._parameters)}")
        using = router.db_for_read(self._model) if self._model else None
        return (using and self._compiled.get(using)) or self._compile(using)

    def _compile(self, using: str | None) -> _CompiledPage:
        with self._lock:
            placeholders = _placeholders(self._parameters)
            queryset = _checked(self._build(**placeholders))
            self._model = queryset.model
            using = using or queryset.db
            if using in self._compiled:
                return self._compiled[using]
            query = queryset.using(using).query
            if queryset._iterable_class is not ValuesIterable:
                raise ValueError("a prepared page reads values() rows")
            if query.is_sliced:
                raise ValueError("a prepared page is sliced per call")
            compiler = query.get_compiler(using=using)
            sql, params = compiler.as_sql()
            if sum(1 for alias in query.alias_map if query.alias_refcount[alias]) != 1:
                raise ValueError("a prepared page reads one table (its count has no join)")
            where, where_params = compiler.compile(query.where)
            table = connections[using].ops.quote_name(query.base_table)
            compiled = _CompiledPage(
                sql=sql,
                count_sql=f"SELECT COUNT(*) FROM {table} WHERE {where}",  # noqa: S608 (quoted)
                params=tuple(params),
                count_params=tuple(where_params),
                slots=_slots(params, placeholders, self._parameters, using),
                count_slots=_slots(where_params, placeholders, self._parameters, using),
                compiler=compiler,
                using=using,
                names=_value_names(query),
            )
            self._compiled[using] = compiled
            return compiled


class PreparedSearch:
    """The pages of a list searched by words: `PreparedSearch(build, company_id=int)` where
    `build(company_id=..., q=...)` returns the `values()` queryset of the rows `q` finds (as
    `PreparedPage` reads it), splitting `q` into words with `str.split()` and finding each with
    `contains`/`icontains` lookups. `page_for(q)` is the `PreparedPage` of `q`'s number of words
    (compiled once per number, each word a `Contains` parameter) and its words' values."""

    def __init__(self, build: Callable[..., QuerySet[Any]], **parameters: type) -> None:
        self._build = build
        self._parameters = parameters
        self._pages: dict[int, PreparedPage] = {}

    def page_for(self, q: str) -> tuple[PreparedPage, dict[str, str]]:
        words = q.split()
        names = tuple(f"word{n}" for n in range(len(words)))
        page = self._pages.get(len(words))
        if page is None:

            def build(**values: Any) -> QuerySet[Any]:
                q = " ".join(values.pop(name) for name in names)
                return self._build(**values, q=q)

            page = self._pages.setdefault(
                len(words),
                PreparedPage(build, **self._parameters, **dict.fromkeys(names, Contains)),
            )
        return page, dict(zip(names, words, strict=True))
