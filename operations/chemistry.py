"""Water chemistry: the Langelier saturation index by the pinned `chart-v1` method, the ranges a
reading is flagged against, and the dose suggestions, exactly as the API contract gives them.

Pure on purpose (no Django, no I/O; an import-linter contract keeps it so): the API's
calculator, a visit's stored readings and the technician's page as they type all run these
functions, and the tests hold them against the contract's checks and an independent table.

Arithmetic is in Decimal, so a value the contract rounds (the LSI to 2 places, a dose to 1)
rounds half up from its exact value, never from a binary float's neighbour.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from typing import Literal

METHOD = "chart-v1"

Number = Decimal | int | float | str
Status = Literal["corrosive", "balanced", "scaling"]
STATUSES: tuple[Status, ...] = ("corrosive", "balanced", "scaling")

# (x, factor) rows; between rows the factor is interpolated linearly, outside them clamped.
Table = Sequence[tuple[Decimal, Decimal]]


def _table(*rows: tuple[str, str]) -> tuple[tuple[Decimal, Decimal], ...]:
    return tuple((Decimal(x), Decimal(f)) for x, f in rows)


TEMPERATURE_F = _table(
    ("32", "0.0"), ("37", "0.1"), ("46", "0.2"), ("53", "0.3"), ("60", "0.4"), ("66", "0.5"),
    ("76", "0.6"), ("84", "0.7"), ("94", "0.8"), ("105", "0.9"), ("128", "1.0"),
)  # fmt: skip
CALCIUM_PPM = _table(
    ("5", "0.3"), ("25", "1.0"), ("50", "1.3"), ("75", "1.5"), ("100", "1.6"), ("150", "1.8"),
    ("200", "1.9"), ("300", "2.1"), ("400", "2.2"), ("800", "2.5"), ("1000", "2.6"),
)  # fmt: skip
CARBONATE_ALKALINITY_PPM = _table(
    ("5", "0.7"), ("25", "1.4"), ("50", "1.7"), ("75", "1.9"), ("100", "2.0"), ("150", "2.2"),
    ("200", "2.3"), ("300", "2.5"), ("400", "2.6"), ("800", "2.9"), ("1000", "3.0"),
)  # fmt: skip
# The share of cyanuric acid that titrates as alkalinity, by pH.
CYA_CORRECTION = _table(
    ("7.0", "0.22"), ("7.1", "0.24"), ("7.2", "0.26"), ("7.3", "0.28"), ("7.4", "0.30"),
    ("7.5", "0.32"), ("7.6", "0.33"), ("7.7", "0.34"), ("7.8", "0.35"), ("7.9", "0.36"),
)  # fmt: skip

BALANCED = Decimal("0.3")  # |LSI| at most this is balanced
TWO_PLACES = Decimal("0.01")
ONE_PLACE = Decimal("0.1")


def _decimal(value: Number) -> Decimal:
    # str() first: Decimal(0.1) is the binary float's long expansion, Decimal("0.1") is 0.1.
    return value if isinstance(value, Decimal) else Decimal(str(value))


def interpolate(table: Table, x: Number) -> Decimal:
    """The table's factor at x: linear between the two rows around it, the end row's outside."""
    x = _decimal(x)
    if x <= table[0][0]:
        return table[0][1]
    for (x0, f0), (x1, f1) in pairwise(table):
        if x <= x1:
            return f0 + (x - x0) * (f1 - f0) / (x1 - x0)
    return table[-1][1]


def _rounded(value: Decimal, places: Decimal) -> Decimal:
    return value.quantize(places, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Lsi:
    lsi: Decimal  # rounded to 2 places
    carbonate_alkalinity: Decimal  # rounded to 2 places
    temperature: Decimal  # the factors, unrounded (the LSI is their exact sum, then rounded)
    calcium: Decimal
    alkalinity: Decimal
    tds_constant: Decimal
    status: Status
    method: str = METHOD


def carbonate_alkalinity(*, ph: Number, total_alkalinity: Number, cyanuric_acid: Number) -> Decimal:
    """TA less the part of it that is cyanurate, unrounded."""
    k = interpolate(CYA_CORRECTION, ph)
    return _decimal(total_alkalinity) - _decimal(cyanuric_acid) * k


def lsi_status(lsi: Decimal) -> Status:
    """From the rounded LSI: exactly -0.30 or +0.30 is still balanced."""
    if lsi < -BALANCED:
        return "corrosive"
    if lsi > BALANCED:
        return "scaling"
    return "balanced"


def saturation_index(
    *,
    ph: Number,
    temperature_f: Number,
    calcium_hardness: Number,
    total_alkalinity: Number,
    cyanuric_acid: Number = 0,
    tds: Number = 1000,
) -> Lsi:
    """LSI = pH + TF + CF + AF - C (chart-v1): C is 12.1 below 1000 ppm TDS, else 12.2."""
    carbonate = carbonate_alkalinity(
        ph=ph, total_alkalinity=total_alkalinity, cyanuric_acid=cyanuric_acid
    )
    tf = interpolate(TEMPERATURE_F, temperature_f)
    cf = interpolate(CALCIUM_PPM, calcium_hardness)
    af = interpolate(CARBONATE_ALKALINITY_PPM, carbonate)
    constant = Decimal("12.1") if _decimal(tds) < 1000 else Decimal("12.2")
    lsi = _rounded(_decimal(ph) + tf + cf + af - constant, TWO_PLACES)
    return Lsi(
        lsi=lsi,
        carbonate_alkalinity=_rounded(carbonate, TWO_PLACES),
        temperature=tf,
        calcium=cf,
        alkalinity=af,
        tds_constant=constant,
        status=lsi_status(lsi),
    )


# What a pool is made of and sanitised with changes its ranges (the contract's exceptions).
SOFT_SURFACES = frozenset({"vinyl", "fiberglass"})
SALT = "salt"


@dataclass(frozen=True)
class Reading:
    """One pool's test results; None where a value was not measured."""

    free_chlorine: Decimal | None = None
    combined_chlorine: Decimal | None = None
    ph: Decimal | None = None
    total_alkalinity: Decimal | None = None
    calcium_hardness: Decimal | None = None
    cyanuric_acid: Decimal | None = None
    salt: Decimal | None = None
    temperature_f: Decimal | None = None
    tds: Decimal | None = None

    @classmethod
    def of(cls, **values: Number | None) -> "Reading":
        return cls(**{k: None if v is None else _decimal(v) for k, v in values.items()})

    def lsi(self) -> Lsi | None:
        """The index when the four values it needs were measured (CYA 0, TDS 1000 if not)."""
        if None in (self.ph, self.temperature_f, self.calcium_hardness, self.total_alkalinity):
            return None
        return saturation_index(
            ph=self.ph,  # type: ignore[arg-type]
            temperature_f=self.temperature_f,  # type: ignore[arg-type]
            calcium_hardness=self.calcium_hardness,  # type: ignore[arg-type]
            total_alkalinity=self.total_alkalinity,  # type: ignore[arg-type]
            cyanuric_acid=self.cyanuric_acid if self.cyanuric_acid is not None else 0,
            tds=self.tds if self.tds is not None else 1000,
        )


@dataclass(frozen=True)
class Pool:
    """What of a pool its ranges and doses depend on."""

    volume_gallons: int
    surface: str = "plaster"
    sanitizer: str = "chlorine"


def free_chlorine_minimum(cyanuric_acid: Decimal | None) -> Decimal:
    """At least 1.0 ppm, and 7.5% of CYA (stabilizer binds chlorine)."""
    return max(Decimal("1.0"), Decimal("0.075") * (cyanuric_acid or 0))


@dataclass(frozen=True)
class Ranges:
    """The company-wide defaults of the contract; every bound inclusive."""

    free_chlorine_max: Decimal = Decimal("10")
    combined_chlorine_max: Decimal = Decimal("0.5")
    ph: tuple[Decimal, Decimal] = (Decimal("7.2"), Decimal("7.8"))
    total_alkalinity: tuple[Decimal, Decimal] = (Decimal("80"), Decimal("120"))
    calcium_hardness: tuple[Decimal, Decimal] = (Decimal("200"), Decimal("400"))
    calcium_hardness_soft_surface: tuple[Decimal, Decimal] = (Decimal("150"), Decimal("250"))
    cyanuric_acid: tuple[Decimal, Decimal] = (Decimal("30"), Decimal("50"))
    cyanuric_acid_salt: tuple[Decimal, Decimal] = (Decimal("60"), Decimal("80"))
    salt: tuple[Decimal, Decimal] = (Decimal("2700"), Decimal("3400"))
    lsi: tuple[Decimal, Decimal] = (-BALANCED, BALANCED)

    def for_pool(self, pool: Pool) -> dict[str, tuple[Decimal, Decimal] | None]:
        """The (low, high) range of each flagged value for this pool; None: not checked."""
        salt_pool = pool.sanitizer == SALT
        return {
            "ph": self.ph,
            "ta": self.total_alkalinity,
            "ch": (
                self.calcium_hardness_soft_surface
                if pool.surface in SOFT_SURFACES
                else self.calcium_hardness
            ),
            "cya": self.cyanuric_acid_salt if salt_pool else self.cyanuric_acid,
            "salt": self.salt if salt_pool else None,
            "lsi": self.lsi,
        }


DEFAULT_RANGES = Ranges()


def flags(reading: Reading, pool: Pool, ranges: Ranges = DEFAULT_RANGES) -> list[str]:
    """The reading's values outside their ranges, as `<value>_low` / `<value>_high`, in the
    contract's order (fc, cc, ph, ta, ch, cya, salt, lsi); unmeasured values raise no flag."""
    found = []
    fc = reading.free_chlorine
    if fc is not None:
        if fc < free_chlorine_minimum(reading.cyanuric_acid):
            found.append("fc_low")
        elif fc > ranges.free_chlorine_max:
            found.append("fc_high")
    if reading.combined_chlorine is not None and (
        reading.combined_chlorine > ranges.combined_chlorine_max
    ):
        found.append("cc_high")
    lsi = reading.lsi()
    values = {
        "ph": reading.ph,
        "ta": reading.total_alkalinity,
        "ch": reading.calcium_hardness,
        "cya": reading.cyanuric_acid,
        "salt": reading.salt,
        "lsi": lsi.lsi if lsi is not None else None,
    }
    for name, bounds in ranges.for_pool(pool).items():
        value = values[name]
        if bounds is None or value is None:
            continue
        low, high = bounds
        if value < low:
            found.append(f"{name}_low")
        elif value > high:
            found.append(f"{name}_high")
    return found


Chemical = Literal["liquid_chlorine_12_5", "sodium_bicarbonate", "muriatic_acid_31_45"]


@dataclass(frozen=True)
class Dose:
    chemical: Chemical
    amount: Decimal  # rounded to one place
    unit: Literal["fl_oz", "lb"]
    reason: str


# chart-v1's pH-lowering dose (the contract names the dose, not its size): 6.4 fl oz of 31.45%
# muriatic acid per 0.1 pH above the target, per 10,000 gallons at 100 ppm TA, in proportion
# to TA (alkalinity is the buffer the acid works against). A quarter of the TA dose's 25.6 fl oz
# per 10 ppm, which is what the common pool calculators give for 8.0 -> 7.5 at TA 100 (~30 fl oz).
PH_TARGET = Decimal("7.5")
ACID_FL_OZ_PER_TENTH_PH = Decimal("6.4")


def _ppm(value: Decimal) -> str:
    return f"{value.normalize():f}"


def suggestions(reading: Reading, pool: Pool, ranges: Ranges = DEFAULT_RANGES) -> list[Dose]:
    """The contract's doses for this reading in this pool (none for unmeasured values)."""
    per_10k = Decimal(pool.volume_gallons) / Decimal(10000)
    doses = []
    fc, ta, ph = reading.free_chlorine, reading.total_alkalinity, reading.ph
    minimum = free_chlorine_minimum(reading.cyanuric_acid)
    if fc is not None and fc < minimum:
        target = max(Decimal("2.0"), Decimal("0.075") * (reading.cyanuric_acid or 0))
        amount = Decimal(128) * (target - fc) * per_10k / Decimal("12.5")
        doses.append(
            Dose(
                "liquid_chlorine_12_5",
                _rounded(amount, ONE_PLACE),
                "fl_oz",
                f"Free chlorine {_ppm(fc)} ppm is below {_ppm(minimum)} ppm: "
                f"raise it to {_ppm(target)} ppm",
            )
        )
    low_ta, high_ta = ranges.total_alkalinity
    if ta is not None and ta < low_ta:
        amount = Decimal("1.4") * (100 - ta) / 10 * per_10k
        doses.append(
            Dose(
                "sodium_bicarbonate",
                _rounded(amount, ONE_PLACE),
                "lb",
                f"Total alkalinity {_ppm(ta)} ppm is below {_ppm(low_ta)} ppm: raise it to 100 ppm",
            )
        )
    if ta is not None and ta > high_ta:
        # Lowering TA with acid lowers pH too: one acid dose, the alkalinity's.
        amount = Decimal("25.6") * (ta - 100) / 10 * per_10k
        doses.append(
            Dose(
                "muriatic_acid_31_45",
                _rounded(amount, ONE_PLACE),
                "fl_oz",
                f"Total alkalinity {_ppm(ta)} ppm is above {_ppm(high_ta)} ppm: "
                "lower it to 100 ppm",
            )
        )
    elif ph is not None and ph > ranges.ph[1]:
        buffer = (ta if ta is not None else Decimal(100)) / 100
        amount = ACID_FL_OZ_PER_TENTH_PH * (ph - PH_TARGET) / ONE_PLACE * buffer * per_10k
        doses.append(
            Dose(
                "muriatic_acid_31_45",
                _rounded(amount, ONE_PLACE),
                "fl_oz",
                f"pH {_ppm(ph)} is above {_ppm(ranges.ph[1])}: lower it to {_ppm(PH_TARGET)}",
            )
        )
    return doses
