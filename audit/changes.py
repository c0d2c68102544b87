"""Field diffs for the audit trail: a row's values as the API writes them (money with its
decimals, dates YYYY-MM-DD, moments in UTC with Z), and `{field: [old, new]}` between two
such snapshots."""

import datetime
import functools
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models

Changes = dict[str, list[Any]]
DATETIME_FORMAT = str(settings.REST_FRAMEWORK["DATETIME_FORMAT"])
# Never in an event, whatever the model: a password hash is a secret.
SECRET_FIELDS = frozenset({"password"})


def json_value(field: "models.Field[Any, Any]", value: Any) -> Any:
    """A field's value as the API writes it: money with its decimals, dates YYYY-MM-DD,
    moments in UTC with Z."""
    if isinstance(field, models.BooleanField) and value is not None:
        return bool(value)  # MySQL's driver may read a boolean column as 0/1
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value  # a JSONField's value is JSON already
    if isinstance(value, Decimal):
        # The database keeps no negative zero: a -0 typed into a form is stored, and shown, as 0.
        value = value.copy_abs() if value.is_zero() else value
        places = getattr(field, "decimal_places", None)
        return f"{value:.{places}f}" if places is not None else str(value)
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).strftime(DATETIME_FORMAT)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return str(value)


@functools.cache
def _audited_fields(model: type[models.Model]) -> "list[models.Field[Any, Any]]":
    """What an event shows of a row: its own columns, without the primary key, the
    timestamps the database keeps, secrets and what the model excludes (`audit_exclude`)."""
    excluded = SECRET_FIELDS | set(getattr(model, "audit_exclude", ()))
    return [
        field
        for field in model._meta.concrete_fields
        if not field.primary_key
        and not getattr(field, "auto_now", False)
        and not getattr(field, "auto_now_add", False)
        and field.name not in excluded
    ]


def snapshot(obj: models.Model) -> dict[str, Any]:
    """The row's audited values as JSON, by column name (`customer_id`, not `customer`).
    Fields the instance was read without (`.only()`) are left out rather than read one by one."""
    deferred = obj.get_deferred_fields()
    return {
        f.attname: json_value(f, getattr(obj, f.attname))
        for f in _audited_fields(type(obj))
        if f.attname not in deferred
    }


def snapshot_values(model: type[models.Model], values: Mapping[str, Any]) -> dict[str, Any]:
    """snapshot() of a row of `model` given as `{attname: value}` (a row written in bulk,
    without an instance); fields missing from `values` are left out."""
    return {
        f.attname: json_value(f, values[f.attname])
        for f in _audited_fields(model)
        if f.attname in values
    }


def loaded(obj: models.Model) -> dict[str, Any] | None:
    """The audited values `obj` had when it was read from the database (audit.models.Audited),
    or None for a row made in this process (a create)."""
    values = getattr(obj, "_audit_loaded", None)
    if values is None:
        return None
    return {
        f.attname: json_value(f, values[f.attname])
        for f in _audited_fields(type(obj))
        if f.attname in values
    }


def diff(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> Changes:
    """`{field: [old, new]}` for each field that differs; old is null on create (before None),
    new is null on delete (after None). A field null on both sides is left out."""
    old, new = before or {}, after or {}
    return {
        name: [old.get(name), new.get(name)]
        for name in dict.fromkeys([*old, *new])
        if old.get(name) != new.get(name)
    }
