"""What the stop page shows of a water test as it is typed: operations.chemistry run for the
pool (its surface, sanitizer and volume), labelled for a person."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from operations import chemistry
from operations.models import Reading
from operations.readings import CHEMISTRY_FIELDS, pool_water
from pools.models import Pool


@dataclass(frozen=True)
class Measure:
    """One value of a water test: its input's label and unit, and the flag names it raises."""

    name: str
    label: str
    short: str
    unit: str
    flag: str | None = None


MEASURES = (
    Measure("free_chlorine", "Free chlorine", "FC", "ppm", "fc"),
    Measure("combined_chlorine", "Combined chlorine", "CC", "ppm", "cc"),
    Measure("ph", "pH", "pH", "", "ph"),
    Measure("total_alkalinity", "Total alkalinity", "TA", "ppm", "ta"),
    Measure("calcium_hardness", "Calcium hardness", "CH", "ppm", "ch"),
    Measure("cyanuric_acid", "Cyanuric acid", "CYA", "ppm", "cya"),
    Measure("salt", "Salt", "Salt", "ppm", "salt"),
    Measure("temperature_f", "Temperature", "Temp", "°F"),
    Measure("tds", "TDS", "TDS", "ppm"),
    Measure("phosphates", "Phosphates", "PO4", "ppb"),
)

FLAG_LABELS = {
    "fc": "Free chlorine",
    "cc": "Combined chlorine",
    "ph": "pH",
    "ta": "Alkalinity",
    "ch": "Calcium",
    "cya": "CYA",
    "salt": "Salt",
    "lsi": "LSI",
}
# The flag's input: the field to mark on the page (the LSI is of several).
FLAG_FIELDS = {m.flag: m.name for m in MEASURES if m.flag}
CHEMICAL_LABELS = {
    "liquid_chlorine_12_5": "Liquid chlorine 12.5%",
    "sodium_bicarbonate": "Sodium bicarbonate",
    "muriatic_acid_31_45": "Muriatic acid 31.45%",
}
UNIT_LABELS = {"fl_oz": "fl oz", "lb": "lb"}


def flag_label(flag: str) -> str:
    value, _, side = flag.rpartition("_")
    return f"{FLAG_LABELS.get(value, value)} {side}"


def measured(reading: Reading) -> list[tuple[Measure, str]]:
    """A stored reading's values that were measured, in the form's order, as a kit shows them
    (7.1, not 7.10)."""
    found = ((m, getattr(reading, m.name)) for m in MEASURES)
    return [(measure, f"{value.normalize():f}") for measure, value in found if value is not None]


def analyse(pool: Pool, values: dict[str, Decimal | None]) -> dict[str, Any]:
    """The index, the flags and the doses of `values` (unmeasured: None) in `pool`, as the
    page's JSON: every figure a string, as the API renders decimals."""
    reading = chemistry.Reading.of(**{name: values.get(name) for name in CHEMISTRY_FIELDS})
    water = pool_water(pool)
    lsi = reading.lsi()
    return {
        "pool_id": pool.pk,
        "lsi": None if lsi is None else {"value": str(lsi.lsi), "status": lsi.status},
        "flags": [
            {
                "flag": flag,
                "label": flag_label(flag),
                "field": FLAG_FIELDS.get(flag.rpartition("_")[0]),
            }
            for flag in chemistry.flags(reading, water)
        ],
        "suggestions": [
            {
                "chemical": dose.chemical,
                "label": CHEMICAL_LABELS[dose.chemical],
                "amount": str(dose.amount),
                "unit": dose.unit,
                "unit_label": UNIT_LABELS[dose.unit],
                "reason": dose.reason,
            }
            for dose in chemistry.suggestions(reading, water)
        ],
    }
