"""The chart-v1 water chemistry against the contract's checks and an independent table.

The table's expected values were computed apart from `operations.chemistry`: a separate script
over the contract's four tables as float arrays, interpolated with numpy's `interp` (which
clamps at the ends as the contract says), LSI = pH + TF + CF + AF - C, printed to 2 places and
checked to sit off a rounding boundary (one case, -2.695, sits exactly on one: the contract's
"rounded" is half away from zero, so -2.70). Two rows are worked by hand below.
"""

from decimal import Decimal

import pytest

from operations.chemistry import (
    METHOD,
    TEMPERATURE_F,
    Pool,
    Ranges,
    Reading,
    carbonate_alkalinity,
    flags,
    interpolate,
    saturation_index,
    suggestions,
)

D = Decimal


WATER = ("ph", "temperature_f", "calcium_hardness", "total_alkalinity", "cyanuric_acid", "tds")
FIRST_CHECK = dict(zip(WATER, (7.0, 84, 300, 25, 0, 500), strict=True))
SECOND_CHECK = dict(zip(WATER, (7.6, 76, 200, 100, 90, 800), strict=True))


def test_the_contracts_two_checks():
    first = saturation_index(**FIRST_CHECK)
    assert first.lsi == D("-0.90") and first.status == "corrosive"
    second = saturation_index(**SECOND_CHECK)
    assert (second.carbonate_alkalinity, second.lsi) == (D("70.30"), D("-0.14"))
    assert second.status == "balanced" and second.method == METHOD == "chart-v1"
    # By hand: 100 - 90 x 0.33 = 70.3; AF = 1.7 + (70.3 - 50) / 25 x 0.2 = 1.8624;
    # 7.6 + 0.6 + 1.9 + 1.8624 - 12.1 = -0.1376.
    assert second.alkalinity == D("1.8624") and second.tds_constant == D("12.1")


# (pH, °F, CH, TA, CYA, TDS, carbonate alkalinity, LSI)
TABLE = [
    (7.0, 84, 300, 25, 0, 500, "25.00", "-0.90"),
    (7.6, 76, 200, 100, 90, 800, "70.30", "-0.14"),
    (7.4, 80, 250, 90, 40, 1200, "78.00", "-0.24"),
    (7.2, 60, 150, 80, 30, 999, "72.20", "-0.82"),
    (7.8, 90, 350, 110, 50, 1000, "92.50", "0.48"),
    (8.2, 95, 500, 140, 0, 1500, "140.00", "1.24"),
    (6.8, 40, 100, 60, 20, 600, "55.60", "-1.82"),
    (7.5, 70, 220, 95, 70, 900, "72.60", "-0.24"),
    (7.3, 100, 180, 120, 35, 2000, "110.20", "-0.14"),
    # By hand: TF 0.02, CF 1.06, AF 1.225; 7.1 + 2.305 - 12.1 = -2.695 exactly: half, away.
    (7.1, 33, 30, 20, 0, 300, "20.00", "-2.70"),
    (7.9, 120, 900, 300, 100, 3000, "264.00", "1.64"),
    (7.45, 82, 275, 85, 45, 1100, "71.05", "-0.16"),
    (7.65, 78, 310, 105, 60, 950, "84.90", "0.22"),
    (7.35, 58, 130, 70, 25, 1000, "62.75", "-0.96"),
    (8.4, 130, 1200, 1200, 0, 4000, "1200.00", "2.80"),
    (6.5, 32, 0, 0, 0, 0, "0.00", "-4.60"),
    (7.55, 88, 420, 115, 80, 1050, "89.00", "0.26"),
    (7.25, 50, 60, 45, 10, 700, "42.30", "-1.61"),
    (7.7, 86, 240, 100, 30, 999.9, "89.80", "0.26"),
    (7.0, 110, 600, 200, 150, 2500, "167.00", "0.31"),
    (7.85, 79, 205, 98, 55, 1000, "78.48", "0.11"),
    (7.15, 64, 170, 88, 20, 850, "83.00", "-0.71"),
]


@pytest.mark.parametrize(("ph", "temp", "ch", "ta", "cya", "tds", "carbonate", "lsi"), TABLE)
def test_the_independent_table(ph, temp, ch, ta, cya, tds, carbonate, lsi):
    result = saturation_index(**dict(zip(WATER, (ph, temp, ch, ta, cya, tds), strict=True)))
    assert (result.carbonate_alkalinity, result.lsi) == (D(carbonate), D(lsi))


@pytest.mark.parametrize(
    ("ta", "lsi", "status"),
    [(100, "-0.30", "balanced"), (400, "0.30", "balanced"), (99, "-0.30", "balanced")],
)
def test_the_status_comes_from_the_rounded_index(ta, lsi, status):
    # pH 7.0, 84 °F, CH 300: 7.0 + 0.7 + 2.1 - 12.1 = -2.3, so the AF decides.
    result = saturation_index(
        ph=7.0, temperature_f=84, calcium_hardness=300, total_alkalinity=ta, tds=500
    )
    assert (result.lsi, result.status) == (D(lsi), status)


def test_statuses_past_the_bounds():
    def status(ta):
        return saturation_index(
            ph=7.0, temperature_f=84, calcium_hardness=300, total_alkalinity=ta, tds=500
        ).status

    # TA 95: AF 1.96, LSI -0.34; TA 420: AF 2.615, LSI 0.315 -> 0.32.
    assert (status(95), status(420)) == ("corrosive", "scaling")


def test_interpolation_clamps_at_the_ends_and_is_exact_on_rows():
    assert interpolate(TEMPERATURE_F, 10) == D("0.0")
    assert interpolate(TEMPERATURE_F, 200) == D("1.0")
    assert interpolate(TEMPERATURE_F, 84) == D("0.7")
    assert interpolate(TEMPERATURE_F, 89) == D("0.75")


def test_the_cya_correction_clamps_below_7_and_above_7_9():
    assert carbonate_alkalinity(ph=6.5, total_alkalinity=100, cyanuric_acid=100) == D("78.00")
    assert carbonate_alkalinity(ph=8.3, total_alkalinity=100, cyanuric_acid=100) == D("64.00")
    assert carbonate_alkalinity(ph=7.65, total_alkalinity=100, cyanuric_acid=100) == D("66.500")


PLASTER = Pool(volume_gallons=10000)
BALANCED = {
    "free_chlorine": 3, "combined_chlorine": 0.2, "ph": 7.5, "total_alkalinity": 100,
    "calcium_hardness": 300, "cyanuric_acid": 40, "temperature_f": 84, "tds": 1500,
}  # fmt: skip


def reading(**changes):
    return Reading.of(**{**BALANCED, **changes})


def test_a_balanced_reading_has_no_flags_and_no_doses():
    assert flags(reading(), PLASTER) == []
    assert suggestions(reading(), PLASTER) == []


@pytest.mark.parametrize(
    ("changes", "pool", "expected"),
    [
        # FC minimum is max(1.0, 7.5% of CYA): 3.0 at CYA 40, so 2.9 is low.
        ({"free_chlorine": 2.9}, PLASTER, ["fc_low"]),
        ({"free_chlorine": 1.0, "cyanuric_acid": 0}, PLASTER, ["cya_low"]),
        ({"free_chlorine": 10.1}, PLASTER, ["fc_high"]),
        ({"combined_chlorine": 0.6}, PLASTER, ["cc_high"]),
        # The baseline's LSI is 0.05; pH moves it too: 7.1 gives -0.34, 7.9 gives 0.44.
        ({"ph": 7.1}, PLASTER, ["ph_low", "lsi_low"]),
        ({"ph": 7.9}, PLASTER, ["ph_high", "lsi_high"]),
        ({"ph": 7.2}, PLASTER, []),
        ({"total_alkalinity": 79}, PLASTER, ["ta_low"]),
        ({"total_alkalinity": 121}, PLASTER, ["ta_high"]),
        ({"calcium_hardness": 199}, PLASTER, ["ch_low"]),
        ({"calcium_hardness": 260}, Pool(10000, surface="vinyl"), ["ch_high"]),
        ({"calcium_hardness": 150}, Pool(10000, surface="fiberglass"), []),
        ({"calcium_hardness": 100}, Pool(10000, surface="fiberglass"), ["ch_low", "lsi_low"]),
        ({"cyanuric_acid": 51, "free_chlorine": 4}, PLASTER, ["cya_high"]),
        ({"cyanuric_acid": 40, "salt": 3000}, Pool(10000, sanitizer="salt"), ["cya_low"]),
        (
            {"cyanuric_acid": 70, "free_chlorine": 5.25, "salt": 2600},
            Pool(10000, sanitizer="salt"),
            ["salt_low"],
        ),
        ({"salt": 2600}, PLASTER, []),  # salt is checked for salt pools only
        ({"ph": 7.8, "calcium_hardness": 800}, PLASTER, ["ch_high", "lsi_high"]),
        # Unmeasured values raise nothing; without pH there is no LSI either.
        ({"ph": None, "calcium_hardness": None, "free_chlorine": None}, PLASTER, []),
    ],
)
def test_flags(changes, pool, expected):
    assert flags(reading(**changes), pool) == expected


def test_a_companys_ranges_replace_the_defaults():
    strict = Ranges(ph=(D("7.4"), D("7.6")))
    assert flags(reading(ph=7.3), PLASTER, strict) == ["ph_low"]


def dose(doses):
    return [(d.chemical, d.amount, d.unit) for d in doses]


def test_chlorine_dose_to_the_target():
    # CYA 40: target max(2.0, 3.0) = 3.0; 128 x (3.0 - 1.0) x 2 / 12.5 = 40.96 -> 41.0.
    doses = suggestions(reading(free_chlorine=1.0), Pool(volume_gallons=20000))
    assert dose(doses) == [("liquid_chlorine_12_5", D("41.0"), "fl_oz")]
    assert doses[0].reason == "Free chlorine 1 ppm is below 3 ppm: raise it to 3 ppm"
    # CYA 0: minimum 1.0, target 2.0; 128 x 1.5 x 1.5 / 12.5 = 23.04.
    low = suggestions(reading(free_chlorine=0.5, cyanuric_acid=0), Pool(volume_gallons=15000))
    assert dose(low) == [("liquid_chlorine_12_5", D("23.0"), "fl_oz")]


def test_bicarbonate_raises_alkalinity_to_100():
    # 1.4 x (100 - 60) / 10 x 1.8 = 10.08 lb.
    doses = suggestions(reading(total_alkalinity=60), Pool(volume_gallons=18000))
    assert dose(doses) == [("sodium_bicarbonate", D("10.1"), "lb")]
    assert "Total alkalinity 60 ppm is below 80 ppm" in doses[0].reason


def test_acid_lowers_alkalinity_and_the_ph_dose_is_then_not_added():
    # 25.6 x (150 - 100) / 10 x 1.2 = 153.6 fl oz, one acid dose though pH is high too.
    doses = suggestions(reading(total_alkalinity=150, ph=8.0), Pool(volume_gallons=12000))
    assert dose(doses) == [("muriatic_acid_31_45", D("153.6"), "fl_oz")]


def test_acid_lowers_a_high_ph():
    # 6.4 x (8.0 - 7.5) / 0.1 x 100 / 100 x 1.0 = 32.0; at TA 90 and 15,000 gal: 43.2.
    assert dose(suggestions(reading(ph=8.0), PLASTER)) == [
        ("muriatic_acid_31_45", D("32.0"), "fl_oz")
    ]
    doses = suggestions(reading(ph=8.0, total_alkalinity=90), Pool(volume_gallons=15000))
    assert dose(doses) == [("muriatic_acid_31_45", D("43.2"), "fl_oz")]
    assert doses[0].reason == "pH 8 is above 7.8: lower it to 7.5"


def test_doses_scale_with_volume_and_round_to_one_place():
    # 128 x 2 x 0.0333 / 12.5 = 0.68266 -> 0.7.
    doses = suggestions(reading(free_chlorine=1.0), Pool(volume_gallons=333))
    assert dose(doses) == [("liquid_chlorine_12_5", D("0.7"), "fl_oz")]
