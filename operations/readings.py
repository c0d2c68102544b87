"""A water test as stored: the physical limits of its values, and what operations.chemistry
makes of them in the pool it was taken in (the index, the flags, the doses). The visits'
services, the stop page, the service report, the demo data and the benchmark's loader read
pools and readings through here, so a reading means the same everywhere."""

import dataclasses
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from operations import chemistry
from operations.models import MEASUREMENT_DIGITS, Reading, Visit
from pools.models import Pool

# The physical ranges of a water test's values (the contract's; phosphates, which it does not
# bound, in ppb up to what a test kit reads): a value outside one is a typing mistake, not water.
READING_LIMITS: dict[str, tuple[Decimal, Decimal]] = {
    "free_chlorine": (Decimal(0), Decimal(50)),
    "combined_chlorine": (Decimal(0), Decimal(50)),
    "ph": (Decimal(0), Decimal(14)),
    "total_alkalinity": (Decimal(0), Decimal(1000)),
    "calcium_hardness": (Decimal(0), Decimal(5000)),
    "cyanuric_acid": (Decimal(0), Decimal(500)),
    "salt": (Decimal(0), Decimal(10000)),
    "temperature_f": (Decimal(32), Decimal(130)),
    "tds": (Decimal(0), Decimal(20000)),
    "phosphates": (Decimal(0), Decimal(10000)),
}
READING_PLACES = MEASUREMENT_DIGITS["decimal_places"]
# What the chemistry reads of a reading (phosphates raise no flag and change no dose).
CHEMISTRY_FIELDS = tuple(field.name for field in dataclasses.fields(chemistry.Reading))


def pool_water(pool: Pool) -> chemistry.Pool:
    """The pool as the chemistry sees it: its volume, surface and sanitizer."""
    return chemistry.Pool(
        volume_gallons=pool.volume_gallons, surface=pool.surface, sanitizer=pool.sanitizer
    )


def new_reading(visit: Visit, pool: Pool, values: Mapping[str, Any]) -> Reading:
    """The visit's reading of `pool` (not saved) with `values` (checked already) and their
    analysis."""
    return with_values(Reading(company_id=visit.company_id, visit=visit, pool=pool), pool, values)


def with_values(reading: Reading, pool: Pool, values: Mapping[str, Any]) -> Reading:
    """`reading` with every value from `values` (a value left out was not measured) and the
    index, flags and doses they give in `pool`."""
    for name in READING_LIMITS:
        value = values.get(name)
        setattr(reading, name, None if value is None else Decimal(value))
    water = chemistry.Reading(**{name: getattr(reading, name) for name in CHEMISTRY_FIELDS})
    target = pool_water(pool)
    lsi = water.lsi()
    reading.lsi = lsi.lsi if lsi is not None else None
    reading.flags = chemistry.flags(water, target)
    reading.suggestions = [
        {"chemical": d.chemical, "amount": str(d.amount), "unit": d.unit, "reason": d.reason}
        for d in chemistry.suggestions(water, target)
    ]
    return reading
