"""Every write to items and stock; the API, the admin, the CSV import and (later) visits call
these. An item's stock changes only through a stock movement made here, under the item's row
lock, and never goes below zero (also a database constraint)."""

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, NotRequired, TypedDict, Unpack, cast

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from audit.changes import diff, snapshot
from audit.services import record_change, record_many
from catalog.cache import items_changed
from catalog.error_codes import CatalogErrorCode
from catalog.models import STOCK_MAX, Item, ItemKind, MovementKind, StockMovement
from core.context import Ctx
from core.errors import Conflict, FieldError, InvalidInput, NotFound
from ektor.db.inserts import insert_rows
from ektor.services import complete_fields, require_fields, save_recorded
from tenancy.scoping import company_of


class ItemFields(TypedDict):
    sku: str
    name: str
    kind: str
    price: Decimal
    category: NotRequired[str]
    description: NotRequired[str]
    unit: NotRequired[str]
    cost: NotRequired[Decimal | None]
    taxable: NotRequired[bool]
    track_stock: NotRequired[bool]
    reorder_level: NotRequired[Decimal]
    is_active: NotRequired[bool]


# What a field not given becomes on create and on full replacement (PUT).
ITEM_DEFAULTS: dict[str, Any] = {
    "category": "",
    "description": "",
    "unit": "each",
    "cost": None,
    "taxable": True,
    "track_stock": False,
    "reorder_level": Decimal("0"),
    "is_active": True,
}

DUPLICATE_SKU = ("An item with this SKU already exists", CatalogErrorCode.DUPLICATE_SKU)
# What the database says when a unique SKU index refuses a row: the constraints' names (the
# functional one on SQLite and MySQL 8, the plain one on MariaDB), the columns on SQLite.
SKU_INTEGRITY_RULES = {
    "catalog_item_sku_ci_unique": DUPLICATE_SKU,
    "catalog_item_sku_unique": DUPLICATE_SKU,
    "catalog_item.company_id, catalog_item.sku": DUPLICATE_SKU,
}


def item_sku_check(ctx: Ctx, *, sku: str, exclude_id: int | None = None) -> None:
    """Refuse a SKU another item (not deleted) already has, compared case-insensitively (409)."""
    others = Item.objects.of(ctx).filter(sku__iexact=sku, deleted_at__isnull=True)
    if exclude_id is not None:
        others = others.exclude(pk=exclude_id)
    if others.exists():
        message, reason = DUPLICATE_SKU
        raise Conflict(message, reason=reason)


# The amounts' columns: (decimal places, the largest value they hold).
AMOUNT_LIMITS = {
    "price": (2, Decimal("9999999999.99")),
    "cost": (2, Decimal("9999999999.99")),
    "reorder_level": (3, STOCK_MAX),
}


def _amount_error(value: Any, places: int, largest: Decimal) -> str | None:
    if value is None or not isinstance(value, Decimal):
        return None
    if not value.is_finite():
        return "Enter a number."
    if value < 0:
        return "Ensure this value is greater than or equal to 0."
    if value > largest:
        return f"Ensure this value is less than or equal to {largest}."
    if value != value.quantize(Decimal(1).scaleb(-places)):
        return f"Ensure that there are no more than {places} decimal places."
    return None


def item_field_errors(ctx: Ctx, data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(field, message) for each value the item cannot have: a blank SKU or name, an amount
    its column cannot hold (negative, too large, too precise, not a number), a service that
    tracks stock. `data` is the item's whole state (the admin's form, a merged update, a CSV
    row)."""
    errors = [
        (name, "This field may not be blank.")
        for name in ("sku", "name")
        if isinstance(data.get(name), str) and not data[name].strip()
    ]
    for name, (places, largest) in AMOUNT_LIMITS.items():
        message = _amount_error(data.get(name), places, largest)
        if message:
            errors.append((name, message))
    if data.get("kind") == ItemKind.SERVICE and data.get("track_stock"):
        errors.append(("track_stock", "A service does not track stock."))
    return errors


def _item_save(ctx: Ctx, item: Item, data: Mapping[str, Any]) -> Item:
    data = {
        k: v.strip() if k in ("sku", "name") and isinstance(v, str) else v for k, v in data.items()
    }
    state = {"kind": item.kind, "track_stock": item.track_stock, **data}
    errors = item_field_errors(ctx, state)
    if errors:
        raise InvalidInput([FieldError(name, msg, "invalid") for name, msg in errors])
    if "sku" in data:
        item_sku_check(ctx, sku=data["sku"], exclude_id=item.pk)
    # The check above cannot see a concurrent insert; the unique index can.
    save_recorded(ctx, item, data, SKU_INTEGRITY_RULES)
    items_changed(ctx)
    return item


def _locked(ctx: Ctx, item_id: int) -> Item:
    """The item, not deleted, with its row locked until the transaction ends."""
    item = (
        Item.objects.of(ctx).select_for_update().filter(pk=item_id, deleted_at__isnull=True).first()
    )
    if item is None:
        raise NotFound("Item", reason=CatalogErrorCode.ITEM_NOT_FOUND)
    return item


@transaction.atomic
def item_create(ctx: Ctx, **fields: Unpack[ItemFields]) -> Item:
    return _item_save(
        ctx, Item(company=company_of(ctx)), complete_fields(fields, ItemFields, ITEM_DEFAULTS)
    )


@transaction.atomic
def item_replace(ctx: Ctx, *, item: Item, **fields: Unpack[ItemFields]) -> Item:
    """Full replacement (PUT): optional fields not given return to their defaults."""
    return _item_save(
        ctx, _locked(ctx, item.pk), complete_fields(fields, ItemFields, ITEM_DEFAULTS)
    )


@transaction.atomic
def item_update(ctx: Ctx, *, item: Item, data: Mapping[str, Any]) -> Item:
    """Partial update (PATCH): only the given fields change; at least one must be given."""
    require_fields(data)
    return _item_save(ctx, _locked(ctx, item.pk), data)


@transaction.atomic
def item_delete(ctx: Ctx, *, item: Item) -> None:
    """Soft delete: the item leaves lists, search and lookups, but every movement (and later
    visit and invoice line) keeps it; its SKU is free again."""
    locked = _locked(ctx, item.pk)
    locked.deleted_at = timezone.now()
    locked.live = None
    locked.save(update_fields=["deleted_at", "live", "updated_at"])
    record_change(ctx, "delete", locked)
    items_changed(ctx)


def _moves(
    ctx: Ctx,
    *,
    kind: str,
    changes: Sequence[tuple[int, Decimal]],
    unit_cost: Decimal | None = None,
    note: str = "",
    visit_id: int | None = None,
) -> list[StockMovement]:
    """The one place stock changes: lock the items' rows (together, in id order, so two
    writers of the same items wait for each other instead of deadlocking), refuse what would
    take one below zero or past its column, write each item's new stock once and a movement per
    (item id, signed quantity), in order (an item named twice moves twice)."""
    ids = sorted({item_id for item_id, _ in changes})
    items = {
        item.pk: item
        for item in Item.objects.of(ctx)
        .select_for_update()
        .filter(pk__in=ids, deleted_at__isnull=True)
        .order_by("pk")
    }
    user = cast(User | None, ctx.user)
    movements = []
    for item_id, quantity in changes:
        item = items.get(item_id)
        if item is None:
            raise NotFound("Item", reason=CatalogErrorCode.ITEM_NOT_FOUND)
        if not item.track_stock:
            raise Conflict(
                f"Item {item.sku} does not track stock", reason=CatalogErrorCode.STOCK_NOT_TRACKED
            )
        after = item.stock_quantity + quantity
        if after > STOCK_MAX:
            raise InvalidInput(
                [
                    FieldError(
                        "quantity",
                        f"{item.sku} would hold {after:.3f}, more than the most an item holds "
                        f"({STOCK_MAX})",
                        "too_large",
                    )
                ]
            )
        if after < 0:
            available = f"{item.stock_quantity:.3f}"
            raise Conflict(
                f"Not enough stock of {item.sku}: {available} available, {-quantity:.3f} needed",
                reason=CatalogErrorCode.INSUFFICIENT_STOCK,
                extra={"item_id": item.pk, "available": available},
            )
        item.stock_quantity = after
        movements.append(
            StockMovement(
                company_id=item.company_id,
                item=item,
                kind=kind,
                quantity=quantity,
                stock_after=after,
                unit_cost=unit_cost,
                note=note,
                visit_id=visit_id,
                created_by=user,
            )
        )
    _stocks_write([items[item_id] for item_id in ids])
    insert_rows(movements)
    record_many(ctx, "create", [(m, diff(None, snapshot(m))) for m in movements])
    items_changed(ctx)
    return movements


def _stocks_write(items: Sequence[Item]) -> None:
    """The locked items' new stock in one UPDATE (a CASE by id), its SQL written from the
    model's metadata: a visit's five items took five UPDATEs by `save()`, and bulk_update's
    CASE cost the ORM more to build than those (docs/performance.md)."""
    now = timezone.now()
    quote = connection.ops.quote_name
    meta = Item._meta
    stock, updated = meta.get_field("stock_quantity"), meta.get_field("updated_at")
    cases = " ".join(["WHEN %s THEN %s"] * len(items))
    marks = ", ".join(["%s"] * len(items))
    id_col = quote(str(meta.pk.column))
    # Only quoted model names are interpolated; the values are parameters.
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {quote(str(stock.column))} = "  # noqa: S608
        f"CASE {id_col} {cases} END, {quote(str(updated.column))} = %s "
        f"WHERE {quote(str(meta.get_field('company').column))} = %s AND {id_col} IN ({marks})"
    )
    params: list[Any] = []
    for item in items:
        item.updated_at = now
        params += [item.pk, stock.get_db_prep_save(item.stock_quantity, connection)]
    params += [updated.get_db_prep_save(now, connection), items[0].company_id]
    params += [item.pk for item in items]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# What the office records by hand (POST /stock-movements, the admin); usage is the visits'.
OFFICE_KINDS = (MovementKind.RECEIPT, MovementKind.ADJUSTMENT, MovementKind.RETURN)


def movement_quantity_errors(ctx: Ctx, *, kind: str, quantity: Decimal) -> list[tuple[str, str]]:
    """(field, message) for a movement the office may not record."""
    if kind not in OFFICE_KINDS:
        return [
            ("kind", "Usage movements are made by visits; record a receipt, adjustment or return.")
        ]
    if kind == MovementKind.ADJUSTMENT and quantity == 0:
        return [("quantity", "An adjustment must add or remove some stock.")]
    if kind != MovementKind.ADJUSTMENT and quantity <= 0:
        return [("quantity", f"A {kind} adds stock: the quantity must be positive.")]
    return []


@transaction.atomic
def stock_movement_create(
    ctx: Ctx,
    *,
    item_id: int,
    kind: str,
    quantity: Decimal,
    unit_cost: Decimal | None = None,
    note: str = "",
) -> StockMovement:
    """A receipt or return (adds) or an adjustment (signed), recorded by the office."""
    errors = movement_quantity_errors(ctx, kind=kind, quantity=quantity)
    if errors:
        raise InvalidInput([FieldError(name, msg, "invalid") for name, msg in errors])
    [movement] = _moves(
        ctx, kind=kind, changes=[(item_id, quantity)], unit_cost=unit_cost, note=note
    )
    return movement


@transaction.atomic
def stock_use(
    ctx: Ctx,
    *,
    item: Item,
    quantity: Decimal,
    visit_id: int | None = None,
    note: str = "",
) -> StockMovement | None:
    """`quantity` (positive) of the item used, by a visit: a usage movement, or a 409
    `insufficient_stock` that the caller's transaction (the visit's completion) lets refuse
    the whole. An item that does not track stock (a service) makes no movement: None."""
    [movement] = stocks_use(ctx, uses=[(item, quantity)], visit_id=visit_id, note=note)
    return movement


# No savepoint of its own: a refusal refuses the caller's whole transaction (a visit's
# completion), which saves the savepoint's two round trips on every completion.
@transaction.atomic(savepoint=False)
def stocks_use(
    ctx: Ctx,
    *,
    uses: Sequence[tuple[Item, Decimal]],
    visit_id: int | None = None,
    note: str = "",
) -> list[StockMovement | None]:
    """Several usages at once (a visit's lines), in one pass over the items' rows: for each
    (item, positive quantity) its usage movement, or None for an item that does not track
    stock; a 409 `insufficient_stock` on any refuses them all."""
    if any(quantity <= 0 for _, quantity in uses):
        raise InvalidInput(
            [FieldError("quantity", "The quantity used must be positive.", "invalid")]
        )
    tracked = [(item.pk, -quantity) for item, quantity in uses if item.track_stock]
    made = iter(
        _moves(ctx, kind=MovementKind.USAGE, changes=tracked, visit_id=visit_id, note=note)
        if tracked
        else []
    )
    return [next(made) if item.track_stock else None for item, _ in uses]
