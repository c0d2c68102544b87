"""Output declarations: one serializer per resource, and the fast encoder derived from it.

An output serializer (a subclass of `Output`) is the only declaration of what a resource
renders: the OpenAPI document is generated from it, and the API renders with the encoder that
`Output` compiles from its fields once per class, not with DRF's per-field
`to_representation` (which cost more than the query on a list of 50). Lists read only the
encoder's `columns()` with `values()`; details and write responses encode the instance.
ektor/tests/test_output.py holds both byte-equal to DRF's rendering of the same declaration,
field by field, for every `Output` in the project.
"""

import datetime
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any, NamedTuple

from django.conf import settings
from django.utils import timezone
from rest_framework import serializers

DATETIME_FORMAT = settings.REST_FRAMEWORK["DATETIME_FORMAT"]
ZONED = object()  # the marker of a converter that needs the current time zone


def _date_out(value: datetime.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _money_out(value: Decimal | None) -> str | None:
    # As MoneyField (DRF's DecimalField): two decimals. An amount read from a money column has
    # them already, and its str, a quarter of formatting's cost, is the answer then.
    if value is None:
        return None
    text = str(value)
    return text if text[-3:-2] == "." else f"{value:.2f}"


def _decimal_out(places: int) -> Callable[[Decimal | None], str | None]:
    """As DRF's DecimalField with other than two places (a stock count's three)."""

    def decimal_out(value: Decimal | None) -> str | None:
        return None if value is None else f"{value:.{places}f}"

    return decimal_out


def _bool_out(value) -> bool | None:
    # MySQL's driver reads a boolean column as 0/1.
    return None if value is None else bool(value)


# The API's format: `isoformat` (C) gives its digits at half strftime's cost, for the years
# strftime pads to four digits as well (its %Y does not pad the years before 1000).
ISO_SECONDS_Z = "%Y-%m-%dT%H:%M:%SZ"


def _datetime_out(zone) -> Callable[[datetime.datetime | None], str | None]:
    """As DRF's DateTimeField: in the current time zone, then the configured format. The zone
    is looked up once per encoding, not per value: that was most of the cost."""

    def datetime_out(value: datetime.datetime | None) -> str | None:
        return None if value is None else value.astimezone(zone).strftime(DATETIME_FORMAT)

    def iso_datetime_out(value: datetime.datetime | None) -> str | None:
        if value is None:
            return None
        local = value.astimezone(zone)
        if local.year < 1000:
            return local.strftime(DATETIME_FORMAT)
        return local.isoformat(timespec="seconds")[:19] + "Z"

    return iso_datetime_out if DATETIME_FORMAT == ISO_SECONDS_Z else datetime_out


class Nested(NamedTuple):
    """A field rendered by another declaration: an object, or a list of them (`many`)."""

    out: type["Output"]
    many: bool


def _list_of(out: type["Output"]) -> Callable[[Any], list[dict]]:
    """A nested list: rows a selector attached (mappings), or objects (a list, or a relation's
    manager: its prefetched rows, as DRF's ListSerializer reads it)."""

    def encode_nested(value) -> list[dict]:
        items = list(value.all() if hasattr(value, "all") else value)
        if items and isinstance(items[0], Mapping):
            return out.encode_rows(items)
        return out.encode_many(items)

    return encode_nested


def _converter(field: serializers.Field):
    """How the encoder renders a field's value; None when the value is already JSON's."""
    if isinstance(field, serializers.DateTimeField):
        return ZONED
    if isinstance(field, serializers.DateField):
        return _date_out
    if isinstance(field, serializers.DecimalField):
        return _money_out if field.decimal_places == 2 else _decimal_out(field.decimal_places)
    if isinstance(field, serializers.BooleanField):
        return _bool_out
    if isinstance(field, serializers.ListSerializer) and isinstance(field.child, Output):
        return Nested(type(field.child), many=True)
    if isinstance(field, Output):
        return Nested(type(field), many=False)  # a nested object, by its own declaration
    if isinstance(field, (serializers.IntegerField, serializers.CharField, serializers.JSONField)):
        return None
    if isinstance(field, (serializers.ListField, serializers.DictField)):
        return None  # JSON already (a JSONField's list or object of numbers)
    if type(field) is serializers.ChoiceField:
        return None  # the stored value
    raise TypeError(f"{type(field).__name__} has no fast encoding: add it to ektor.api.output")


def _column(source: str) -> str:
    """The `values()` name of a field's source: a dotted one (`property.customer_id`) is read
    through the relation (`property__customer_id`, a join of the list's one query)."""
    return source.replace(".", "__")


# No docstrings on these bases: the OpenAPI document would show them as every output's
# description.
class Output(serializers.Serializer):
    # An output declaration. `Meta.computed` names fields the encoder computes from other
    # columns instead of reading (`{"balance_due": (function, ("status", "total", ...))}`),
    # so a list does not make the database compute them.

    @classmethod
    def _plan(cls) -> tuple[tuple[str, str, Any], ...]:
        plan = cls.__dict__.get("_compiled")
        if plan is None:
            fields = cls().fields
            plan = tuple((name, f.source, _converter(f)) for name, f in fields.items())
            cls._compiled = plan
        return plan

    @classmethod
    def _computed(cls) -> dict[str, tuple[Callable, tuple[str, ...]]]:
        return getattr(getattr(cls, "Meta", None), "computed", {})

    @classmethod
    def columns(cls) -> tuple[str, ...]:
        """What a list reads with `values()` for `encode_rows`: a nested object's columns
        through its relation (`customer__phone`, a join); a nested list is the selector's to
        put in the row under the field's source (rows of the nested declaration's `columns()`,
        or objects)."""
        computed = cls._computed()
        names = []
        for name, source, convert in cls._plan():
            if name in computed or (isinstance(convert, Nested) and convert.many):
                continue
            if isinstance(convert, Nested):
                names += [f"{_column(source)}__{column}" for column in convert.out.columns()]
            else:
                names.append(_column(source))
        for _, inputs in computed.values():
            names += inputs
        return tuple(dict.fromkeys(names))

    @classmethod
    def _encoder(cls, mode: str) -> Callable[[Iterable], list[dict]]:
        """The encoder of `rows` (mappings) or `objects` (attributes), compiled once per class
        into one dict display per row: as fast as a hand-written function."""
        compiled = cls.__dict__.get(f"_{mode}_encoder")
        if compiled is None:
            compiled = cls._compile(mode)
            setattr(cls, f"_{mode}_encoder", compiled)
        return compiled(_datetime_out(timezone.get_current_timezone()))

    @classmethod
    def _compile(cls, mode: str) -> Callable:
        names: dict[str, Any] = {}
        source = (
            "def make(datetime_out):\n"
            "    def encode(rows):\n"
            f"        return [{cls._display(mode, names, '')} for row in rows]\n"
            "    return encode\n"
        )
        exec(source, names)  # noqa: S102 (only field names and sources, quoted or checked)
        return names["make"]

    @classmethod
    def _display(cls, mode: str, names: dict[str, Any], prefix: str) -> str:
        """The dict display of one row; a nested object's fields read from the same row
        (`prefix`, its relation's) in `rows` mode."""

        def read(source: str) -> str:
            if mode == "rows":
                return f"row[{prefix + _column(source)!r}]"
            if not all(part.isidentifier() for part in source.split(".")):
                raise TypeError(f"{cls.__name__}: {source!r} is not an attribute path")
            return f"row.{source}"

        def call(function: Callable, expression: str) -> str:
            key = f"c{len(names)}"
            names[key] = function
            return f"{key}({expression})"

        computed = cls._computed()
        items = []
        for name, source, convert in cls._plan():
            if name in computed:
                function, inputs = computed[name]
                expression = call(function, ", ".join(read(column) for column in inputs))
            else:
                expression = read(source)
            if convert is ZONED:
                expression = f"datetime_out({expression})"
            elif isinstance(convert, Nested) and convert.many:
                expression = call(_list_of(convert.out), expression)
            elif isinstance(convert, Nested) and mode == "rows":
                expression = convert.out._display(mode, names, f"{prefix}{_column(source)}__")
            elif isinstance(convert, Nested):
                expression = call(convert.out.encode, expression)
            elif convert is not None:
                expression = call(convert, expression)
            items.append(f"{name!r}: {expression}")
        return f"{{{', '.join(items)}}}"

    @classmethod
    def encode_rows(cls, rows: Iterable[Mapping]) -> list[dict]:
        """The output of `values(*columns())` rows."""
        return cls._encoder("rows")(rows)

    @classmethod
    def encode_many(cls, objects: Iterable) -> list[dict]:
        return cls._encoder("objects")(objects)

    @classmethod
    def encode(cls, obj) -> dict:
        return cls.encode_many([obj])[0]


class ModelOutput(Output, serializers.ModelSerializer):
    # An output declaration whose fields come from the model (its OpenAPI schema carries the
    # model's lengths and formats).
    pass
