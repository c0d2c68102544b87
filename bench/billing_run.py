"""Billing a month for N plans against a floor that writes the same invoices and lines with
plain SQL, in a fresh SQLite file or DATABASE_URL's database, which it fills (MariaDB, as
measured in docs/performance.md):

    . scripts/mariadb.sh && mariadb_start
    .venv/bin/python -m bench.billing_run --plans 12000 --repeat 3
    mariadb_stop

N plans (three in four per month, one in four per visit; a quarter bill chemicals), each at its
own property with four weekly visits in November 2026 (completed; a chemical line on each of
the chemicals-billed ones). The app: `billing.services.billing_run` (reads, batches, locks,
audit events). The floor: the same invoice and line rows, read back from the app's run, deleted
and inserted again with plain SQL in one transaction (an executemany of the invoices, a SELECT
of their new ids, an executemany of the lines; no reads of what to bill, no rules, no events),
then checked equal to the app's, ids aside. With --repeat, the app's rows are removed and both
run again on the same data.
"""

import argparse
import datetime
import os
import statistics
import sys
import tempfile
import time
from decimal import Decimal


def setup_django(path: str) -> None:
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{path}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ektor.settings")
    os.environ.setdefault("ENV_FILE", "/dev/null")
    os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 50)
    os.environ.setdefault("DEBUG", "true")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def load(plans: int) -> None:
    from catalog.models import Item
    from customers.models import Customer, Property
    from operations.models import ServicePlan, Visit, VisitLine
    from pools.models import Pool
    from tenancy.models import Company

    company = Company.objects.order_by("id").first() or Company.objects.create(
        slug="bench", name="Bench Pools"
    )
    chlorine = Item.unscoped.create(
        company=company, sku="CL", name="Liquid chlorine", kind="chemical", unit="gal",
        price=Decimal("4.99"), track_stock=False,
    )  # fmt: skip
    customers = Customer.unscoped.bulk_create(
        Customer(company=company, first_name="Ana", last_name=f"Rivera {n}") for n in range(plans)
    )
    props = Property.unscoped.bulk_create(
        Property(company=company, customer=c, label=f"Casa {n}", address1=f"{n} Calle Sol")
        for n, c in enumerate(customers)
    )
    pools = Pool.unscoped.bulk_create(
        Pool(company=company, property=p, name="Main", volume_gallons=15000) for p in props
    )
    service = ServicePlan.unscoped.bulk_create(
        ServicePlan(
            company=company, pool=pool, weekday=2, start_date=datetime.date(2026, 1, 7),
            rate_type="per_visit" if n % 4 == 3 else "per_month",
            rate=Decimal("45.00") if n % 4 == 3 else Decimal("160.00"),
            chemicals="billed" if n % 4 == 1 else "included",
        )
        for n, pool in enumerate(pools)
    )  # fmt: skip
    now = datetime.datetime(2026, 11, 30, 18, tzinfo=datetime.UTC)
    days = [datetime.date(2026, 11, d) for d in (4, 11, 18, 25)]
    visits = Visit.unscoped.bulk_create(
        (
            Visit(
                company=company, plan=plan, property_id=props[n].pk, customer_id=customers[n].pk,
                scheduled_date=day, status="completed", completed_at=now,
            )
            for n, plan in enumerate(service)
            for day in days
        ),
        batch_size=2000,
    )  # fmt: skip
    VisitLine.unscoped.bulk_create(
        (
            VisitLine(
                company=company, visit=visit, item=chlorine, description="Liquid chlorine",
                quantity=Decimal("1.5"), unit_price=Decimal("4.99"), taxable=True,
            )
            for visit in visits
            if visit.plan.chemicals == "billed"
        ),
        batch_size=2000,
    )  # fmt: skip


def clear() -> None:
    """Remove what a run wrote: its invoices, lines, events and run rows."""
    from audit.models import AuditEvent
    from billing.models import BillingRun, Invoice, InvoiceLine

    InvoiceLine.unscoped.all().delete()
    Invoice.unscoped.all().delete()
    BillingRun.unscoped.all().delete()
    AuditEvent.objects.filter(object_type__in=["invoice", "billingrun"]).delete()


def run_app() -> tuple[float, float, object]:
    from billing.services import billing_run
    from core.context import Ctx
    from tenancy.models import Company

    ctx = Ctx.system(Company.objects.order_by("id").first())
    start, cpu = time.perf_counter(), time.process_time()
    result = billing_run(
        ctx, period=datetime.date(2026, 11, 1), issued_date=datetime.date(2026, 12, 1)
    )
    return time.perf_counter() - start, time.process_time() - cpu, result


def written() -> tuple[list[tuple], list[tuple]]:
    """The invoices and lines as rows without their ids (a line names its invoice by property
    and customer), in a fixed order: what the app and the floor must both have written."""
    from django.db import connection

    from billing.models import Invoice, InvoiceLine

    def columns(model):
        return [f.column for f in model._meta.concrete_fields if not f.primary_key]

    def ordered(rows):
        return sorted(rows, key=lambda row: [(value is not None, value) for value in row])

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns(Invoice))} FROM billing_invoice")
        invoices = ordered(cursor.fetchall())
        line_cols = [c for c in columns(InvoiceLine) if c != "invoice_id"]
        cursor.execute(
            f"SELECT i.property_id, i.customer_id, {', '.join('l.' + c for c in line_cols)} "
            "FROM billing_invoiceline l JOIN billing_invoice i ON i.id = l.invoice_id"
        )
        lines = ordered(cursor.fetchall())
    return invoices, lines


def run_floor() -> tuple[float, float]:
    """The app's invoice and line rows written again with plain SQL in one transaction: one
    executemany of the invoices (the database gives the ids), one SELECT of their ids, one
    executemany of the lines. No reads of what to bill, no rules, no locks, no events."""
    from django.db import connection, transaction

    from billing.models import Invoice, InvoiceLine

    invoice_cols = [f.column for f in Invoice._meta.concrete_fields if not f.primary_key]
    line_cols = [f.column for f in InvoiceLine._meta.concrete_fields if not f.primary_key]
    at = line_cols.index("invoice_id")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {', '.join(invoice_cols)} FROM billing_invoice")
        invoices = cursor.fetchall()
        cursor.execute(f"SELECT {', '.join(line_cols)} FROM billing_invoiceline ORDER BY id")
        lines = cursor.fetchall()
    prop, cust = invoice_cols.index("property_id") + 1, invoice_cols.index("customer_id") + 1
    key_of = {row[0]: (row[prop], row[cust]) for row in invoices}
    lines = [(key_of[row[at]], row) for row in lines]
    run_id = invoices[0][invoice_cols.index("billing_run_id") + 1]
    before = written()
    InvoiceLine.unscoped.all().delete()
    Invoice.unscoped.all().delete()
    start, cpu = time.perf_counter(), time.process_time()
    with transaction.atomic(), connection.cursor() as cursor:
        marks = ", ".join(["%s"] * len(invoice_cols))
        cursor.executemany(
            f"INSERT INTO billing_invoice ({', '.join(invoice_cols)}) VALUES ({marks})",
            [row[1:] for row in invoices],
        )
        cursor.execute(
            "SELECT id, property_id, customer_id FROM billing_invoice WHERE billing_run_id = %s",
            [run_id],
        )
        ids = {(p, c): i for i, p, c in cursor.fetchall()}
        marks = ", ".join(["%s"] * len(line_cols))
        cursor.executemany(
            f"INSERT INTO billing_invoiceline ({', '.join(line_cols)}) VALUES ({marks})",
            [(*row[:at], ids[key], *row[at + 1 :]) for key, row in lines],
        )
    elapsed = time.perf_counter() - start, time.process_time() - cpu
    if written() != before:
        raise SystemExit("the floor did not write the app's rows")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plans", type=int, default=12000)
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of the app then the floor on the same data"
    )
    parser.add_argument(
        "--loaded",
        action="store_true",
        help="DATABASE_URL holds an earlier run's data (same --plans): bill it again, not reload",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        setup_django(os.path.join(folder, "bench.sqlite3"))
        if args.loaded:
            clear()
        else:
            load(args.plans)
        ratios = []
        for n in range(args.repeat):
            if n:
                clear()
            app, app_cpu, result = run_app()
            floor, floor_cpu = run_floor()
            ratios.append(app / floor)
            # The CPU time is this process's (Python and the driver), not the database's.
            print(
                f"plans={args.plans} invoices={result.invoices_created} "
                f"lines={result.lines_created} app={app:.2f}s (cpu {app_cpu:.2f}s) "
                f"floor={floor:.2f}s (cpu {floor_cpu:.2f}s) ratio={app / floor:.1f}x",
                file=sys.stdout,
                flush=True,
            )
    if args.repeat > 1:
        print(f"plans={args.plans} median ratio={statistics.median(ratios):.1f}x")


if __name__ == "__main__":
    main()
