"""bench/capacity.py (docs/scaling.md's measurements) at a tiny scale, on whichever database the
pass runs (SQLite's dbstat, MariaDB's information_schema): the report keeps its shape, its
extrapolation is the linear one the doc states, and every busiest query is captured with a
plan. The full run is scripts/capacity.sh."""

import pytest

from bench import capacity


@pytest.mark.django_db(transaction=True)  # MariaDB's ANALYZE TABLE commits
def test_the_capacity_report_at_a_tiny_scale():
    report = capacity.run(
        companies=2,
        pools=12,
        weeks=2,
        calls=2,
        completions=2,
        target_companies=500,
        target_pools=2000,
    )

    tables = {t["table"]: t for t in report["tables"]}
    assert set(tables) == set(capacity.GROWTH)
    # 2 companies x 12 pools: a visit per pool and week; the weeks before today completed,
    # each with one reading and one photo.
    visits = tables["operations_visit"]
    assert visits["rows"] == 2 * 12 * 2
    assert 0 < tables["operations_reading"]["rows"] == tables["operations_photo"]["rows"] <= 48
    assert tables["operations_visitline"]["rows"] >= tables["operations_reading"]["rows"]
    assert tables["billing_invoice"]["rows"] == 2 * 12  # two weeks: one month of invoices
    completed = report["slice"]["completed"]
    assert tables["operations_reading"]["rows"] == completed
    # Linear: a year of 500 x 2,000 from 24 pools x 2 weeks (what a completion writes: from
    # the completed visits, as every visit of a year is done), invoices from 24 x 1 month.
    assert visits["year_rows"] == 500 * 2000 * 52
    assert tables["operations_reading"]["year_rows"] == 500 * 2000 * 52
    assert tables["billing_invoice"]["year_rows"] == 500 * 2000 * 12
    assert tables["pools_pool"]["year_rows"] == 500 * 2000
    for table in tables.values():
        assert table["data_bytes"] > 0 and table["index_bytes"] > 0, table["table"]
        assert table["year_data_bytes"] == pytest.approx(
            table["data_bytes"] * table["year_rows"] / table["rows"], rel=1e-6
        )
        assert "PRIMARY" in table["indexes"] or any(table["indexes"]), table["table"]
    # Audit events grow with what they record: a visit's creation weekly, its completion and
    # its reading per completed visit, a customer's creation not at all.
    audit = tables["audit_auditevent"]["rows_by_object"]
    assert (audit["visit create"], audit["customer create"]) == (48, 24)
    assert audit["visit complete"] == audit["reading create"] == completed
    year = tables["audit_auditevent"]["year_rows"]
    per_completion = sum(
        n
        for key, n in audit.items()
        if key.split()[0] in {"reading", "visitline", "photo", "stockmovement"}
        or key == "visit complete"
    )
    assert year == pytest.approx(
        48 * 500 * 2000 * 52 / 48
        + per_completion * 500 * 2000 * 52 / completed
        + (audit["invoice create"] + audit.get("payment create", 0)) * 500 * 2000 * 12 / 24
        + sum(
            n
            for key, n in audit.items()
            if key.split()[0] in {"customer", "property", "pool", "serviceplan", "item"}
        )
        * 500
        * 2000
        / 24,
        rel=1e-6,
    )

    operations = {op["name"].split(" (")[0]: op for op in report["operations"]}
    assert {
        "route of a day",
        "visit completion",
        "scheduling a week",
        "office dashboard",
        "GET /api/v1/invoices?limit=50",
    } <= set(operations)
    for op in operations.values():
        assert op["queries"] > 0 and op["app_cpu_ms"] > 0, op["name"]
    assert all(
        plan["tables"] and "error" not in plan for plan in operations["route of a day"]["plans"]
    )
    completion = operations["visit completion"]
    assert completion["operations"] == 2
    assert completion["statements"]["INSERT"] >= 3  # the reading, the lines, their events

    text = capacity.render(report)
    assert "| operations_visit | weekly | 48 |" in text
    assert "52,000,000" in text
    assert "route of a day" in text and "plans (per table" in text
