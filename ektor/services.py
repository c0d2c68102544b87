"""Helpers every app's services share: protected deletes, integrity conflicts, empty updates."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction

from audit.services import record_change
from core.context import Ctx
from core.errors import (
    ApplicationError,
    Conflict,
    CoreErrorCode,
    FieldError,
    InvalidInput,
    ReasonCode,
)

_M = TypeVar("_M", bound=models.Model)


def require_fields(data: Mapping[str, Any]) -> None:
    """A partial update must change something."""
    if not data:
        raise ApplicationError(
            "No fields to update were given", reason=CoreErrorCode.NO_FIELDS_TO_UPDATE, status=400
        )


def complete_fields(
    fields: Mapping[str, Any], typed: Any, defaults: Mapping[str, Any]
) -> dict[str, Any]:
    """Every field of a create/replace: the given ones, defaults for the rest. Unknown or
    missing required names (of the TypedDict `typed`) are a programming error, as with an
    explicit signature."""
    unknown = set(fields) - set(typed.__annotations__)
    missing = typed.__required_keys__ - set(fields)
    if unknown or missing:
        raise TypeError(f"unknown fields {sorted(unknown)}, missing fields {sorted(missing)}")
    return {**defaults, **fields}


def null_blanks(data: Mapping[str, Any], optional: Mapping[str, Any]) -> dict[str, Any]:
    """Optional text (a name in `optional`) that is empty is stored as NULL (uniqueness
    ignores NULL, not "")."""
    return {
        name: None if name in optional and isinstance(value, str) and not value.strip() else value
        for name, value in data.items()
    }


def require_updatable(data: Mapping[str, Any], updatable: frozenset[str]) -> None:
    """A partial update changes something, and only fields that may change there (422 on
    each other field)."""
    require_fields(data)
    unknown = sorted(set(data) - updatable)
    if unknown:
        raise InvalidInput(
            [
                FieldError(name, "This field cannot be changed here", "extra_forbidden")
                for name in unknown
            ]
        )


def apply_fields(instance: models.Model, data: Mapping[str, Any]) -> list[str]:
    """Set the given fields; return their names for save(update_fields=...)."""
    for name, value in data.items():
        setattr(instance, name, value)
    return list(data)


def save_recorded(
    ctx: Ctx,
    instance: _M,
    data: Mapping[str, Any],
    integrity_rules: Mapping[str, tuple[str, ReasonCode]] | None = None,
) -> _M:
    """Set `data` on `instance`, insert it (a new row) or update those fields, and record the
    create or update event. `integrity_rules` (as conflict_on_integrity's) turn a unique index's
    refusal into a 409: a check before the save cannot see a concurrent insert."""
    fields = apply_fields(instance, data)
    creating = instance.pk is None
    with conflict_on_integrity(integrity_rules) if integrity_rules else nullcontext():
        if creating:
            instance.save(force_insert=True)
        else:
            instance.save(update_fields=[*fields, "updated_at"])
    record_change(ctx, "create" if creating else "update", instance)
    return instance


def delete_protected(instance: models.Model) -> None:
    """Delete, or refuse with a 409 that names what still references the row."""
    try:
        with transaction.atomic():
            instance.delete()
    except models.ProtectedError as exc:
        counts: dict[str, int] = {}
        names: dict[str, str] = {}
        for obj in exc.protected_objects:
            key = str(obj._meta.verbose_name_plural)
            counts[key] = counts.get(key, 0) + 1
            names[key] = str(obj._meta.verbose_name)
        listing = ", ".join(
            f"{n} {key if n != 1 else names[key]}" for key, n in sorted(counts.items())
        )
        what = str(instance._meta.verbose_name).capitalize()
        raise Conflict(
            f"{what} cannot be deleted: it is still referenced by {listing}",
            reason=CoreErrorCode.PROTECTED_BY_REFERENCES,
            extra={"references": counts},
        ) from None


@contextmanager
def conflict_on_integrity(rules: Mapping[str, tuple[str, ReasonCode]]) -> Iterator[None]:
    """Turn an IntegrityError naming one of `rules`' keys (a constraint or column) into a 409.

    `rules` maps a substring of the database's error text to (message, reason); the error text
    names the constraint on MySQL/MariaDB and the columns on SQLite, so give both.
    """
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        text = str(exc)
        for needle, (message, reason) in rules.items():
            if needle in text:
                raise Conflict(message, reason=reason) from None
        raise
