"""Demo and volume data for the catalog; `manage.py seed_demo` calls these."""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction

from catalog import services
from catalog.cache import items_changed
from catalog.models import Item, ItemKind, MovementKind, StockMovement
from core.context import Ctx
from tenancy.scoping import company_of

ITEM_FIELDS = tuple(services.ItemFields.__annotations__)
# Synthetic items are recognised by this SKU prefix, so --scale tops up and reruns create nothing.
SCALE_PREFIX = "SCALE-"
# One item per this many synthetic customers (10,000 customers: 2,000 items), at least 200.
CUSTOMERS_PER_ITEM = 5
NAMES = (
    ("chemical", "Sanitizer", "Liquid chlorine", "gal"),
    ("chemical", "Balancers", "Sodium bicarbonate", "lb"),
    ("chemical", "Balancers", "Muriatic acid", "gal"),
    ("part", "Pumps", "Pump seal kit", "each"),
    ("part", "Filters", "Filter cartridge", "each"),
    ("product", "Cleaning", "Leaf net", "each"),
    ("service", "Repairs", "Green to clean", "visit"),
)


def load(ctx: Ctx, data: Mapping[str, Any], *, stdout) -> None:
    """Create the file's items (key: SKU) that are missing, with their opening stock."""
    created = 0
    for row in data.get("items", []):
        if Item.objects.of(ctx).filter(sku__iexact=row["sku"], deleted_at__isnull=True).exists():
            continue
        item = services.item_create(ctx, **{k: row[k] for k in ITEM_FIELDS if k in row})
        if row.get("stock"):
            services.stock_movement_create(
                ctx, item_id=item.pk, kind=MovementKind.RECEIPT, quantity=Decimal(row["stock"])
            )
        created += 1
    stdout.write(f"items: {created} created, {len(data.get('items', [])) - created} kept")


def scale(ctx: Ctx, volume) -> None:
    """Ensure the synthetic items exist, each that tracks stock with its opening receipt."""
    count = max(200, volume.count // CUSTOMERS_PER_ITEM)
    done = 0
    for start in range(0, count, volume.batch_size):
        indices = range(start, min(start + volume.batch_size, count))
        with transaction.atomic():
            done += _scale_batch(ctx, indices)
        volume.stdout.write(f"items: {indices.stop}/{count} ({done} created)")
    items_changed(ctx)


def _synthetic(ctx: Ctx, index: int) -> Item:
    kind, category, name, unit = NAMES[index % len(NAMES)]
    tracked = kind != ItemKind.SERVICE
    return Item(
        company=company_of(ctx),
        sku=f"{SCALE_PREFIX}{index:06d}",
        name=f"{name} {index}",
        kind=kind,
        category=category,
        description=f"Synthetic {name.lower()} number {index}",
        unit=unit,
        price=Decimal(5 + index % 200) + Decimal("0.99"),
        cost=Decimal(2 + index % 100),
        track_stock=tracked,
        stock_quantity=Decimal(index % 40) if tracked else Decimal(0),
        reorder_level=Decimal(5) if tracked else Decimal(0),
    )


def _scale_batch(ctx: Ctx, indices: range) -> int:
    skus = [f"{SCALE_PREFIX}{i:06d}" for i in indices]
    items = Item.objects.of(ctx)
    existing = set(items.filter(sku__in=skus).values_list("sku", flat=True))
    new = [_synthetic(ctx, i) for i in indices if f"{SCALE_PREFIX}{i:06d}" not in existing]
    Item.objects.bulk_create(new)
    # MySQL does not return the ids of a bulk insert: read them back by SKU.
    stocked = {item.sku: item.stock_quantity for item in new if item.stock_quantity}
    ids = dict(items.filter(sku__in=list(stocked)).values_list("sku", "id"))
    StockMovement.objects.bulk_create(
        StockMovement(
            company=company_of(ctx),
            item_id=ids[sku],
            kind=MovementKind.RECEIPT,
            quantity=quantity,
            stock_after=quantity,
            note="Opening stock",
        )
        for sku, quantity in stocked.items()
    )
    return len(new)
