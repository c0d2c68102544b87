"""Billing a month for N plans against a floor that writes the same invoices and lines with
plain SQL, in a fresh SQLite file (or DATABASE_URL's database, which it fills):

    .venv/bin/python -m bench.billing_run --plans 12000

N plans (three in four per month, one in four per visit; a quarter bill chemicals), each at its
own property with four weekly visits in November 2026 (completed; a chemical line on each of
the chemicals-billed ones). The app: `billing.services.billing_run` (reads, batches, locks,
audit events). The floor: the same invoice and line rows, read back from the app's run, deleted
and inserted again with executemany in one transaction (no reads, no rules, no events).
"""

import argparse
import datetime
import os
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


def run_app() -> tuple[float, object]:
    from billing.services import billing_run
    from core.context import Ctx
    from tenancy.models import Company

    ctx = Ctx.system(Company.objects.order_by("id").first())
    start = time.perf_counter()
    result = billing_run(
        ctx, period=datetime.date(2026, 11, 1), issued_date=datetime.date(2026, 12, 1)
    )
    return time.perf_counter() - start, result


def run_floor() -> float:
    """The same rows, inserted with plain SQL in one transaction."""
    from django.db import connection, transaction

    from audit.models import AuditEvent
    from billing.models import Invoice, InvoiceLine

    def rows(model):
        columns = [f.column for f in model._meta.concrete_fields]
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {', '.join(columns)} FROM {model._meta.db_table}")
            return columns, cursor.fetchall()

    invoice_cols, invoices = rows(Invoice)
    line_cols, lines = rows(InvoiceLine)
    InvoiceLine.unscoped.all().delete()
    Invoice.unscoped.all().delete()
    AuditEvent.objects.filter(object_type="invoice").delete()
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for table, columns, data in (
            (Invoice._meta.db_table, invoice_cols, invoices),
            (InvoiceLine._meta.db_table, line_cols, lines),
        ):
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", data)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plans", type=int, default=12000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        setup_django(os.path.join(folder, "bench.sqlite3"))
        load(args.plans)
        app, result = run_app()
        floor = run_floor()
    print(
        f"plans={args.plans} invoices={result.invoices_created} lines={result.lines_created} "
        f"app={app:.2f}s floor={floor:.2f}s ratio={app / floor:.1f}x",
        file=sys.stdout,
    )


if __name__ == "__main__":
    main()
