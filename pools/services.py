"""Every write to pools and equipment; the API, the admin and seed_demo call these."""

import datetime
from collections.abc import Mapping
from contextlib import ExitStack
from typing import Any, NotRequired, TypedDict, Unpack

from django.db import transaction

from audit.services import recording_delete
from core.context import Ctx
from core.errors import Conflict, CoreErrorCode, FieldError, InvalidInput, NotFound
from customers.error_codes import CustomerErrorCode
from customers.models import Property
from ektor.services import (
    complete_fields,
    delete_protected,
    null_blanks,
    require_fields,
    save_recorded,
)
from pools.error_codes import PoolErrorCode
from pools.models import (
    MAX_VOLUME_GALLONS,
    MIN_VOLUME_GALLONS,
    POOL_NAME_MAX_LENGTH,
    Equipment,
    EquipmentKind,
    Pool,
    PoolKind,
    Sanitizer,
    Surface,
)
from pools.selectors import pool_get
from tenancy.scoping import company_of


class PoolFields(TypedDict):
    property_id: int
    name: str
    volume_gallons: int
    kind: NotRequired[str]
    surface: NotRequired[str]
    sanitizer: NotRequired[str]
    is_indoor: NotRequired[bool]
    access_notes: NotRequired[str | None]
    notes: NotRequired[str | None]
    is_active: NotRequired[bool]


class EquipmentFields(TypedDict):
    pool_id: int
    kind: str
    make: NotRequired[str | None]
    model: NotRequired[str | None]
    serial_number: NotRequired[str | None]
    installed_on: NotRequired[datetime.date | None]
    notes: NotRequired[str | None]


# What a field not given becomes on create and on full replacement (PUT).
POOL_DEFAULTS: dict[str, Any] = {
    "kind": PoolKind.POOL,
    "surface": Surface.PLASTER,
    "sanitizer": Sanitizer.CHLORINE,
    "is_indoor": False,
    "access_notes": None,
    "notes": None,
    "is_active": True,
}
# Optional text stored as NULL when empty.
POOL_OPTIONAL_TEXT = {"access_notes": None, "notes": None}
EQUIPMENT_DEFAULTS: dict[str, Any] = {
    "make": None,
    "model": None,
    "serial_number": None,
    "installed_on": None,
    "notes": None,
}

CHOICES = {
    "kind": PoolKind.values,
    "surface": Surface.values,
    "sanitizer": Sanitizer.values,
}

DUPLICATE_NAME = (
    "A pool with this name already exists at the property",
    PoolErrorCode.DUPLICATE_POOL_NAME,
)
# What the database says when a unique name index of the property refuses a row: the
# constraints' names (the functional one on SQLite and MySQL 8, the plain one on MariaDB), the
# columns on SQLite.
NAME_INTEGRITY_RULES = {
    "pools_pool_name_ci_unique": DUPLICATE_NAME,
    "pools_pool_property_name_unique": DUPLICATE_NAME,
    "pools_pool.property_id, pools_pool.name": DUPLICATE_NAME,
}


def _choice_error(name: str, value: object, allowed: list[str]) -> FieldError:
    return FieldError(
        name, f"{value!r} is not a valid choice: one of {', '.join(allowed)}", "invalid_choice"
    )


def pool_field_errors(ctx: Ctx, data: Mapping[str, Any]) -> list[FieldError]:
    """The contract's rules of a pool's own values: a name that is not blank, a volume in
    range, the kinds, surfaces and sanitizers there are."""
    errors = []
    name = data.get("name")
    if isinstance(name, str) and not name.strip():
        errors.append(FieldError("name", "This field may not be blank.", "blank"))
    elif isinstance(name, str) and len(name.strip()) > POOL_NAME_MAX_LENGTH:
        message = f"Ensure this field has no more than {POOL_NAME_MAX_LENGTH} characters."
        errors.append(FieldError("name", message, "max_length"))
    volume = data.get("volume_gallons")
    if "volume_gallons" in data and (
        not isinstance(volume, int) or not MIN_VOLUME_GALLONS <= volume <= MAX_VOLUME_GALLONS
    ):
        errors.append(
            FieldError(
                "volume_gallons",
                f"Ensure this value is between {MIN_VOLUME_GALLONS} and {MAX_VOLUME_GALLONS}.",
                "range",
            )
        )
    errors += [
        _choice_error(field, data[field], allowed)
        for field, allowed in CHOICES.items()
        if field in data and data[field] not in allowed
    ]
    return errors


def pool_property_get(ctx: Ctx, *, property_id: int) -> Property:
    """The pool's property, in ctx's company (another company's is a missing one: 404)."""
    prop = Property.objects.of(ctx).filter(pk=property_id).first()
    if prop is None:
        raise NotFound("Property", reason=CustomerErrorCode.PROPERTY_NOT_FOUND)
    return prop


def pool_name_check(
    ctx: Ctx, *, property_id: int, name: str, exclude_id: int | None = None
) -> None:
    """Refuse a name another pool of the property has, compared case-insensitively (409)."""
    others = Pool.objects.of(ctx).filter(property_id=property_id, name__iexact=name.strip())
    if exclude_id is not None:
        others = others.exclude(pk=exclude_id)
    if others.exists():
        message, reason = DUPLICATE_NAME
        raise Conflict(message, reason=reason)


def _pool_save(ctx: Ctx, pool: Pool, data: Mapping[str, Any]) -> Pool:
    errors = pool_field_errors(ctx, data)
    if errors:
        raise InvalidInput(errors)
    data = null_blanks(data, POOL_OPTIONAL_TEXT)
    if "name" in data:
        data = {**data, "name": data["name"].strip()}
    if "property_id" in data:
        # The instance's property once found, so the output's customer_id needs no query.
        data = {**data, "property": pool_property_get(ctx, property_id=data["property_id"])}
        del data["property_id"]
    if "name" in data or "property" in data:
        pool_name_check(
            ctx,
            property_id=data["property"].pk if "property" in data else pool.property_id,
            name=data.get("name", pool.name),
            exclude_id=pool.pk,
        )
    return save_recorded(ctx, pool, data, NAME_INTEGRITY_RULES)


@transaction.atomic
def pool_create(ctx: Ctx, **fields: Unpack[PoolFields]) -> Pool:
    return _pool_save(
        ctx, Pool(company=company_of(ctx)), complete_fields(fields, PoolFields, POOL_DEFAULTS)
    )


@transaction.atomic
def pool_replace(ctx: Ctx, *, pool: Pool, **fields: Unpack[PoolFields]) -> Pool:
    """Full replacement (PUT): optional fields not given return to their defaults."""
    return _pool_save(ctx, pool, complete_fields(fields, PoolFields, POOL_DEFAULTS))


@transaction.atomic
def pool_update(ctx: Ctx, *, pool: Pool, data: Mapping[str, Any]) -> Pool:
    """Partial update (PATCH): only the given fields change; at least one must be given."""
    require_fields(data)
    return _pool_save(ctx, pool, data)


@transaction.atomic
def pool_delete(ctx: Ctx, *, pool: Pool) -> None:
    """Delete the pool and its equipment (each delete in the trail). A pool with history (any
    row that references it with PROTECT: visits, service plans) is refused with 409
    `protected_by_references`, and is deactivated instead."""
    with ExitStack() as recording:
        # Exited in reverse: the pool's event, then its equipment's; none if refused.
        for item in pool.equipment.all():
            recording.enter_context(recording_delete(ctx, item))
        recording.enter_context(recording_delete(ctx, pool))
        try:
            delete_protected(pool)
        except Conflict as exc:
            raise Conflict(
                f"{exc.message}; deactivate the pool instead",
                reason=CoreErrorCode.PROTECTED_BY_REFERENCES,
                extra=exc.extra,
            ) from None


def _equipment_save(ctx: Ctx, item: Equipment, data: Mapping[str, Any]) -> Equipment:
    if "kind" in data and data["kind"] not in EquipmentKind.values:
        raise InvalidInput([_choice_error("kind", data["kind"], EquipmentKind.values)])
    data = null_blanks(data, EQUIPMENT_DEFAULTS)
    if "pool_id" in data:
        data = {**data, "pool": pool_get(ctx, pool_id=data["pool_id"])}
        del data["pool_id"]
    return save_recorded(ctx, item, data)


@transaction.atomic
def equipment_create(ctx: Ctx, **fields: Unpack[EquipmentFields]) -> Equipment:
    return _equipment_save(
        ctx,
        Equipment(company=company_of(ctx)),
        complete_fields(fields, EquipmentFields, EQUIPMENT_DEFAULTS),
    )


@transaction.atomic
def equipment_replace(
    ctx: Ctx, *, equipment: Equipment, **fields: Unpack[EquipmentFields]
) -> Equipment:
    """Full replacement (PUT): optional fields not given become NULL."""
    return _equipment_save(
        ctx, equipment, complete_fields(fields, EquipmentFields, EQUIPMENT_DEFAULTS)
    )


@transaction.atomic
def equipment_update(ctx: Ctx, *, equipment: Equipment, data: Mapping[str, Any]) -> Equipment:
    require_fields(data)
    return _equipment_save(ctx, equipment, data)


@transaction.atomic
def equipment_delete(ctx: Ctx, *, equipment: Equipment) -> None:
    with recording_delete(ctx, equipment):
        delete_protected(equipment)
