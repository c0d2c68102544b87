"""Sign in a benchmark admin and choose the rows the benchmark requests touch.

Prints one JSON line: token, session id, the statement customer and period, the file of
invoice ids open for payments, the files of scheduled visits and stocked items for the visit
completions, and the table sizes.
"""

import datetime
import json
import os
import sys
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ektor.settings")
django.setup()

from django.db.models import Count  # noqa: E402

from accounts.models import Role, User  # noqa: E402
from accounts.services import session_start  # noqa: E402
from billing.models import Invoice, InvoiceStatus, Payment  # noqa: E402
from core.context import Ctx  # noqa: E402
from customers.models import Customer, Property  # noqa: E402
from operations.models import ServicePlan  # noqa: E402
from operations.scheduling import visits_schedule  # noqa: E402
from pools.models import Pool  # noqa: E402
from tenancy.models import Company, Membership  # noqa: E402

FROM, TO = "2025-01-01", "2026-12-31"
# Scheduled visits for the completions (each completed once, app and floor runs alike) and the
# stocked items their lines use.
BENCH_VISITS = int(os.environ.get("BENCH_VISITS", "40000"))
BENCH_ITEMS = 100


def visits_to_complete(company, workdir: Path) -> tuple[Path, Path]:
    """Work orders at properties with a pool, scheduled today, and stocked items (plenty)."""
    from decimal import Decimal

    from catalog import services as catalog
    from catalog.models import Item
    from operations.models import Visit, VisitKind
    from pools.models import Pool

    ctx = Ctx.system(company)
    items = list(Item.objects.of(ctx).filter(sku__startswith="BENCH-").values_list("pk", flat=True))
    for n in range(len(items), BENCH_ITEMS):
        item = catalog.item_create(
            ctx,
            sku=f"BENCH-{n:03d}",
            name=f"Bench chemical {n}",
            kind="chemical",
            price=Decimal("4.50"),
            track_stock=True,
        )
        catalog.stock_movement_create(
            ctx, item_id=item.pk, kind="receipt", quantity=Decimal("100000000")
        )
        items.append(item.pk)
    pools = list(
        Pool.objects.of(ctx)
        .order_by("id")
        .values_list("id", "property_id", "property__customer_id")
    )
    today = datetime.date.today()
    made = Visit.objects.bulk_create(
        [
            Visit(
                company=company,
                kind=VisitKind.WORK_ORDER,
                property_id=pools[n % len(pools)][1],
                customer_id=pools[n % len(pools)][2],
                scheduled_date=today,
                title="Bench stop",
            )
            for n in range(BENCH_VISITS)
        ],
        batch_size=2000,
    )
    pool_of = {prop: pool for pool, prop, _ in reversed(pools)}
    visits_file, items_file = workdir / "visits.txt", workdir / "items.txt"
    visits_file.write_text("".join(f"{v.pk} {pool_of[v.property_id]}\n" for v in made))
    items_file.write_text("".join(f"{pk}\n" for pk in items))
    return visits_file, items_file


# The route of a day (GET /route): a technician with 20 stops on a Wednesday.
ROUTE_DATE, ROUTE_STOPS = datetime.date(2026, 6, 3), 20


def route_technician(company: Company) -> int:
    """A technician with ROUTE_STOPS weekly plans on the route's weekday (the data set's first
    pools without a plan), and that day scheduled (made once; scheduling is idempotent)."""
    tech = User.objects.filter(username="bench-route").first() or User.objects.create_user(
        username="bench-route",
        email="bench-route@example.com",
        password=None,
        role=Role.TECHNICIAN,
    )
    Membership.objects.get_or_create(user=tech, company=company, defaults={"role": Role.TECHNICIAN})
    have = ServicePlan.unscoped.filter(company=company, technician=tech).count()
    pools = (
        Pool.unscoped.filter(company=company, service_plans__isnull=True)
        .order_by("property_id", "id")
        .distinct()[: ROUTE_STOPS - have]
    )
    ServicePlan.unscoped.bulk_create(
        ServicePlan(
            company=company,
            pool=pool,
            technician=tech,
            weekday=ROUTE_DATE.weekday(),
            start_date=datetime.date(2026, 1, 1),
            rate="160.00",
            route_position=have + n,
        )
        for n, pool in enumerate(pools)
    )
    visits_schedule(Ctx.system(company), date_from=ROUTE_DATE, date_to=ROUTE_DATE)
    return tech.pk


def main(workdir: Path) -> None:
    user = User.objects.filter(username="bench").first() or User.objects.create_user(
        username="bench",
        email="bench@example.com",
        password=None,  # signs in through session_start only
        role=Role.ADMIN,
    )
    # The data set's company (seed_demo makes the first one): the bench admin acts for it.
    company = Company.objects.order_by("id").first()
    Membership.objects.get_or_create(
        user=user, company=company, defaults={"role": Role.ADMIN, "is_owner": False}
    )
    tokens = session_start(Ctx.system(), user=user, user_agent="bench", ip_address="127.0.0.1")
    session = user.auth_sessions.order_by("-created_at").first()
    # The statement customer: one with a typical number of invoices in the period.
    customer = (
        Customer.objects.annotate(n=Count("invoices")).filter(n__gte=20).order_by("n", "id").first()
    ) or Customer.objects.annotate(n=Count("invoices")).order_by("-n").first()
    open_ids = list(
        Invoice.objects.filter(status=InvoiceStatus.SENT)
        .order_by("-id")
        .values_list("id", flat=True)[:20000]
    )
    ids_file = workdir / "payment_invoice_ids.txt"
    ids_file.write_text("\n".join(map(str, open_ids)) + "\n")
    visits_file, items_file = visits_to_complete(company, workdir)
    print(
        json.dumps(
            {
                "token": tokens["access_token"],
                "session": str(session.pk),
                "customer_id": customer.pk,
                "statement_items": customer.invoices.filter(issued_date__range=(FROM, TO)).count(),
                "from": FROM,
                "to": TO,
                "ids_file": str(ids_file),
                "visits_file": str(visits_file),
                "items_file": str(items_file),
                "route_technician": route_technician(company),
                "route_date": ROUTE_DATE.isoformat(),
                "counts": {
                    "customers": Customer.objects.count(),
                    "properties": Property.objects.count(),
                    "invoices": Invoice.objects.count(),
                    "payments": Payment.objects.count(),
                },
            }
        )
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
