"""Time the admin index (the office dashboard) in-process (server time, no network), then
`billing.dashboard.office_summary` alone, and list the page's queries with their times. Run by
scripts/bench.sh after bench/admin_changelist.py, or by hand:

    DATABASE_URL=mysql://... .venv/bin/python -m bench.admin_dashboard [--runs N] [--explain]

--explain prints MariaDB's ANALYZE FORMAT=JSON (MySQL: EXPLAIN ANALYZE) of every dashboard query.
"""

import argparse

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

# bench.admin_timing sets Django up, so it comes before any model import.
from bench.admin_timing import get, median_ms, signed_in_client
from billing.dashboard import office_summary
from core.context import Ctx
from tenancy.models import Company

PATH = "/admin/"


def explain(sql: str) -> str:
    analyze = "ANALYZE FORMAT=JSON " if connection.mysql_is_mariadb else "EXPLAIN ANALYZE "
    with connection.cursor() as cursor:
        cursor.execute(analyze + sql)
        return "\n".join(str(row[0]) for row in cursor.fetchall())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    client = signed_in_client()
    get(client, PATH)  # warm: templates, connection
    page_wall, page_cpu = median_ms(lambda: get(client, PATH), args.runs)
    # The data set's company (seed_demo makes the first one): the dashboard is per company.
    today = timezone.localdate()
    ctx = Ctx.system().for_company(Company.objects.order_by("id").first())
    summary_wall, _ = median_ms(lambda: office_summary(ctx, today=today), args.runs)
    with CaptureQueriesContext(connection) as queries:
        client.get(PATH)
    with CaptureQueriesContext(connection) as office_queries:
        office = office_summary(ctx, today=today)
    print(
        f"admin dashboard {PATH}: median {page_wall:.0f} ms server time ({page_cpu:.0f} ms CPU), "
        f"office_summary {summary_wall:.0f} ms, {len(queries)} queries:"
    )
    for query in queries.captured_queries:
        print(f"  {float(query['time']) * 1000:8.1f} ms  {query['sql'][:150]}")
    print(
        f"  figures: open {office.open_count} ${office.open_balance}, overdue "
        f"{office.overdue_count} ${office.overdue_balance}, drafts {office.draft_count} "
        f"${office.draft_total}, payments since {office.month_start} "
        f"{office.month_payment_count} ${office.month_payment_total}, most overdue "
        f"{[str(invoice) for invoice in office.most_overdue]}"
    )
    if args.explain and connection.vendor == "mysql":
        for query in office_queries.captured_queries:
            print(f"\n{query['sql']}\n{explain(query['sql'])}")


if __name__ == "__main__":
    main()
