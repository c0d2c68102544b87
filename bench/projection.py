"""The office dashboard's open and overdue figures: the receivables
projection (billing_receivablesbyduedate) against plain queries on the invoices and their
payments with covering indexes, in the same run on the same data (issue 13). Creates the two
indexes in the database it is pointed at (a throwaway bench database) and drops them at the
end unless --keep-indexes:

    DATABASE_URL=mysql://... .venv/bin/python -m bench.projection [--runs 5] [--keep-indexes]
"""

import argparse
import statistics
import time

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

# bench.admin_timing sets Django up, so it comes before any model import.
import bench.admin_timing  # noqa: F401
from billing.dashboard import office_summary
from core.context import Ctx

INDEXES = (
    ("billing_invoice", "bench_inv_status_due_total", "(`status`, `due_date`, `total`)"),
    ("billing_payment", "bench_pay_invoice_rev_amount", "(`invoice_id`, `reversed_at`, `amount`)"),
)
# Open (sent) and overdue counts and totals, from the first index alone.
PLAIN_TOTALS = (
    "SELECT COUNT(*), SUM(`total`), SUM(`due_date` < %s), SUM(IF(`due_date` < %s, `total`, 0)) "
    "FROM `billing_invoice` FORCE INDEX (`bench_inv_status_due_total`) WHERE `status` = 'sent'"
)
# The same with what is paid on them (the dashboard shows balances), through the second.
PLAIN_BALANCES = (
    "SELECT COUNT(*), SUM(t.total), SUM(t.paid), SUM(t.overdue), SUM(IF(t.overdue, t.total, 0)), "
    "SUM(IF(t.overdue, t.paid, 0)) FROM (SELECT i.`total`, i.`due_date` < %s AS overdue, "
    "COALESCE((SELECT SUM(p.`amount`) FROM `billing_payment` p WHERE p.`invoice_id` = i.`id` "
    "AND p.`reversed_at` IS NULL), 0) AS paid FROM `billing_invoice` i "
    "FORCE INDEX (`bench_inv_status_due_total`) WHERE i.`status` = 'sent') t"
)


def timed(sql: str, params: list, runs: int) -> tuple[tuple, list[float]]:
    times = []
    with connection.cursor() as cursor:
        for _ in range(runs):
            start = time.perf_counter()
            cursor.execute(sql, params)
            row = cursor.fetchone()
            times.append((time.perf_counter() - start) * 1000)
    return row, times


def report(name: str, times: list[float]) -> None:
    runs = " ".join(f"{t:.1f}" for t in times)
    print(f"{name}: median {statistics.median(times):.1f} ms (runs {runs})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep-indexes", action="store_true")
    args = parser.parse_args()
    today = timezone.localdate()
    with CaptureQueriesContext(connection) as queries:
        summary = office_summary(Ctx.system(), today=today)
    _, times = timed(queries.captured_queries[0]["sql"], [], args.runs)
    report("projection: its aggregate", times)
    print(
        f"  open {summary.open_count} {summary.open_balance}, "
        f"overdue {summary.overdue_count} {summary.overdue_balance}"
    )
    with connection.cursor() as cursor:
        for table, name, columns in INDEXES:
            start = time.perf_counter()
            cursor.execute(f"CREATE INDEX `{name}` ON `{table}` {columns}")
            print(f"CREATE INDEX {name} ON {table} {columns}: {time.perf_counter() - start:.1f} s")
    try:
        row, times = timed(PLAIN_TOTALS, [today, today], args.runs)
        report("plain: open and overdue counts and totals", times)
        row, times = timed(PLAIN_BALANCES, [today], args.runs)
        report("plain: with what is paid (balances)", times)
        print(f"  open {row[0]} {row[1] - row[2]}, overdue {row[3]} {row[4] - row[5]}")
    finally:
        if not args.keep_indexes:
            with connection.cursor() as cursor:
                for table, name, _ in INDEXES:
                    cursor.execute(f"DROP INDEX `{name}` ON `{table}`")


if __name__ == "__main__":
    main()
