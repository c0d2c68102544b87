"""Demo and volume data for pools and their equipment; `manage.py seed_demo` calls these after
customers.demo (whose properties they need).

Both are idempotent: a pool is known by its property and name; its equipment is made with it.
"""

import random
from collections.abc import Mapping
from typing import Any

from django.db import transaction

from core.context import Ctx
from customers.demo import synthetic_customers
from customers.models import Property
from ektor.text import plural
from pools import services
from pools.models import Equipment, EquipmentKind, Pool, PoolKind, Sanitizer, Surface
from tenancy.scoping import company_of

# The file gives no volumes: a typical one of each kind.
DEMO_VOLUMES = {PoolKind.POOL: 15000, PoolKind.SPA: 800, PoolKind.FOUNTAIN: 500}
# What every pool has, and what its kind or sanitizer adds: (kind, make, model).
PUMP = (EquipmentKind.PUMP, "Pentair", "IntelliFlo VSF")
FILTER = (EquipmentKind.FILTER, "Hayward", "SwimClear C4030")
HEATER = (EquipmentKind.HEATER, "Raypak", "Avia 266")
SALT_CELL = (EquipmentKind.SALT_CELL, "Hayward", "TurboCell T-15")


def equipment_of(kind: str, sanitizer: str) -> list[tuple[str, str, str]]:
    extra = [HEATER] if kind == PoolKind.SPA else []
    extra += [SALT_CELL] if sanitizer == Sanitizer.SALT else []
    return [PUMP, FILTER, *extra]


def load(ctx: Ctx, data: Mapping[str, Any], *, stdout) -> None:
    """Create the file's pools (key: property and name) that are missing, each with its pump
    and filter (a spa its heater too); pools already present are left as they are."""
    owners = {row["label"]: row["customer_email"] for row in data.get("properties", [])}
    rows = data.get("pools", [])
    created = equipment = 0
    for row in rows:
        prop = Property.objects.of(ctx).get(
            customer__email__iexact=owners[row["property_label"]], label=row["property_label"]
        )
        if Pool.objects.of(ctx).filter(property=prop, name__iexact=row["label"]).exists():
            continue
        kind = row.get("pool_type", PoolKind.POOL)
        pool = services.pool_create(
            ctx,
            property_id=prop.pk,
            name=row["label"],
            kind=kind,
            volume_gallons=DEMO_VOLUMES.get(kind, DEMO_VOLUMES[PoolKind.POOL]),
            surface=row.get("surface", Surface.PLASTER),
        )
        for item_kind, make, model in equipment_of(pool.kind, pool.sanitizer):
            services.equipment_create(ctx, pool_id=pool.pk, kind=item_kind, make=make, model=model)
            equipment += 1
        created += 1
    stdout.write(f"pools: {created} created, {len(rows) - created} kept")
    stdout.write(f"equipment: {equipment} created")


def _synthetic_pools(ctx: Ctx, property_id: int) -> list[Pool]:
    # One generator per property: the same property always gets the same pools.
    rng = random.Random(f"ektor-pools-{property_id}")  # noqa: S311 (test data, not security)
    pools = [
        Pool(
            company=company_of(ctx),
            property_id=property_id,
            name="Main Pool",
            volume_gallons=rng.randrange(8000, 30000, 500),
            surface=rng.choice((Surface.PLASTER, Surface.PEBBLE, Surface.QUARTZ, Surface.TILE)),
            sanitizer=rng.choice((Sanitizer.CHLORINE, Sanitizer.CHLORINE, Sanitizer.SALT)),
        )
    ]
    # One property in four has a spa too: 1.25 pools on average.
    if rng.randrange(4) == 0:
        pools.append(
            Pool(
                company=company_of(ctx),
                property_id=property_id,
                name="Spa",
                kind=PoolKind.SPA,
                volume_gallons=rng.randrange(400, 1500, 100),
                surface=Surface.TILE,
                sanitizer=Sanitizer.BROMINE,
            )
        )
    return pools


def scale(ctx: Ctx, volume) -> None:
    """One or two pools (1.25 on average), with their equipment, for every property of the
    synthetic customers (customers.demo.scale) that has none; bulk inserts per batch of
    `volume.batch_size` properties."""
    property_ids = list(
        Property.objects.of(ctx)
        .filter(customer__in=synthetic_customers(ctx), pools__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    pools = equipment = reached = 0
    for start in range(0, len(property_ids), volume.batch_size):
        batch = property_ids[start : start + volume.batch_size]
        with transaction.atomic():
            made = _scale_batch(ctx, batch)
        pools, equipment, reached = pools + made[0], equipment + made[1], reached + len(batch)
        _progress(volume, reached, len(property_ids), pools, equipment)
    if not property_ids:  # a run with nothing to do says so too
        _progress(volume, 0, 0, 0, 0)


def _progress(volume, reached: int, total: int, pools: int, equipment: int) -> None:
    volume.stdout.write(
        f"pools: {reached}/{total} properties "
        f"({plural(pools, 'pool')}, {equipment} equipment created)"
    )


def _scale_batch(ctx: Ctx, property_ids: list[int]) -> tuple[int, int]:
    rows = [pool for property_id in property_ids for pool in _synthetic_pools(ctx, property_id)]
    Pool.objects.bulk_create(rows)
    # MySQL does not return the ids of a bulk insert: read them back by property and name.
    ids = {
        (property_id, name): pk
        for property_id, name, pk in Pool.objects.of(ctx)
        .filter(property_id__in=property_ids)
        .values_list("property_id", "name", "id")
    }
    items = [
        Equipment(
            company=company_of(ctx),
            pool_id=ids[(pool.property_id, pool.name)],
            kind=kind,
            make=make,
            model=model,
        )
        for pool in rows
        for kind, make, model in equipment_of(pool.kind, pool.sanitizer)
    ]
    Equipment.objects.bulk_create(items)
    return len(rows), len(items)
