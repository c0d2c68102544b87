"""Scheduling a month for 12,000 plans (issue 17): `visits_schedule` against a floor that makes
the same inserts in plain SQL, in the same run on the same database, as a ratio (target: the
app within 5x of the floor).

The floor reads the same plans with one SELECT, computes the same weekly dates, inserts the
visits with `executemany` (the driver sends multi-row INSERTs) in batches of 1,000, reads
their ids back and inserts one audit event per visit the same way, in one transaction. What
the app does beyond it: the plans' status refresh and row locks, the pause spans, the read of
what exists, model instances, the audit snapshots.

Each run schedules January 2027 from nothing (the previous run's visits and their events are
deleted first, untimed). The data (a company `bench-scheduling` with 12,000 customers,
properties, pools and weekly plans on every weekday, a third with a technician) is made once
if missing, so the run can be pointed at any throwaway database:

    scripts/bench_scheduling.sh                     # a throwaway MariaDB, then this
    DATABASE_URL=mysql://... .venv/bin/python -m bench.scheduling [--plans 12000] [--runs 3]
"""

import argparse
import datetime
import json
import statistics
import time
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

# bench.admin_timing sets Django up, so it comes before any model import.
import bench.admin_timing  # noqa: F401
from accounts.models import Role, User
from audit.models import AuditEvent
from core.context import Ctx
from customers.models import Customer, Property
from operations.models import ServicePlan, Visit
from operations.scheduling import visits_schedule
from pools.models import Pool
from tenancy.models import Company, Membership

SLUG = "bench-scheduling"
FROM, TO = datetime.date(2027, 1, 1), datetime.date(2027, 1, 31)
BATCH = 1000


def _company_with_plans(count: int) -> Company:
    company = Company.objects.filter(slug=SLUG).first() or Company.objects.create(
        slug=SLUG, name="Bench Scheduling"
    )
    have = ServicePlan.unscoped.filter(company=company).count()
    if have >= count:
        return company
    techs = []
    for n in range(10):
        user = User.objects.filter(username=f"bench-tech-{n}").first() or User.objects.create_user(
            username=f"bench-tech-{n}",
            email=f"bench-tech-{n}@example.com",
            password=None,
            role=Role.TECHNICIAN,
        )
        Membership.unscoped.get_or_create(user=user, company=company, role=Role.TECHNICIAN)
        techs.append(user)
    missing = count - have
    with transaction.atomic():
        customers = Customer.unscoped.bulk_create(
            [
                Customer(company=company, first_name="Bench", last_name=f"Owner {have + n}")
                for n in range(missing)
            ],
            batch_size=BATCH,
        )
        props = Property.unscoped.bulk_create(
            [
                Property(company=company, customer=c, label="Home", address1=f"{n} Bench Road")
                for n, c in enumerate(customers)
            ],
            batch_size=BATCH,
        )
        pools = Pool.unscoped.bulk_create(
            [Pool(company=company, property=p, name="Pool", volume_gallons=15000) for p in props],
            batch_size=BATCH,
        )
        ServicePlan.unscoped.bulk_create(
            [
                ServicePlan(
                    company=company,
                    pool=pool,
                    weekday=n % 7,
                    start_date=datetime.date(2026, 1, 1),
                    rate=Decimal("160.00"),
                    technician=techs[n % 10] if n % 3 == 0 else None,
                    route_position=n % 20,
                )
                for n, pool in enumerate(pools)
            ],
            batch_size=BATCH,
        )
    return company


def _clear(company: Company) -> None:
    with transaction.atomic():
        AuditEvent.objects.filter(company=company, object_type="visit").delete()
        Visit.unscoped.filter(company=company).delete()


def _app(company: Company) -> int:
    result = visits_schedule(Ctx.system(company), date_from=FROM, date_to=TO)
    return result["created"]


VISIT_COLUMNS = (
    "company_id, kind, plan_id, property_id, customer_id, technician_id, scheduled_date, "
    "route_position, status, checklist, created_at, updated_at"
)
EVENT_COLUMNS = (
    "at, company_id, actor_id, actor, action, object_type, object_id, changes, request_id"
)


def _floor(company: Company) -> int:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.id, p.weekday, p.technician_id, p.route_position, o.property_id, "
            "r.customer_id FROM operations_serviceplan p JOIN pools_pool o ON o.id = p.pool_id "
            "JOIN customers_property r ON r.id = o.property_id WHERE p.company_id = %s AND "
            "p.status = 'active' ORDER BY p.id",
            [company.pk],
        )
        now = timezone.now()
        rows = []
        for plan_id, weekday, tech, position, prop, customer in cursor.fetchall():
            day = FROM + datetime.timedelta(days=(weekday - FROM.weekday()) % 7)
            while day <= TO:
                rows.append(
                    (company.pk, "route", plan_id, prop, customer, tech, day, position,
                     "scheduled", "[]", now, now)
                )  # fmt: skip
                day += datetime.timedelta(days=7)
        sql = f"INSERT INTO operations_visit ({VISIT_COLUMNS}) VALUES ({', '.join(['%s'] * 12)})"
        for start in range(0, len(rows), BATCH):
            cursor.executemany(sql, rows[start : start + BATCH])
        cursor.execute(
            "SELECT id, plan_id, property_id, customer_id, technician_id, scheduled_date, "
            "route_position FROM operations_visit WHERE company_id = %s AND scheduled_date "
            "BETWEEN %s AND %s",
            [company.pk, FROM, TO],
        )
        events = []
        for pk, plan_id, prop, customer, tech, day, position in cursor.fetchall():
            changes = {
                "company_id": [None, company.pk],
                "kind": [None, "route"],
                "plan_id": [None, plan_id],
                "property_id": [None, prop],
                "customer_id": [None, customer],
                "technician_id": [None, tech],
                "scheduled_date": [None, day.isoformat()],
                "route_position": [None, position],
                "status": [None, "scheduled"],
                "checklist": [None, []],
            }
            events.append(
                (now, company.pk, None, "system", "create", "visit", pk, json.dumps(changes), "")
            )
        sql = f"INSERT INTO audit_auditevent ({EVENT_COLUMNS}) VALUES ({', '.join(['%s'] * 9)})"
        for start in range(0, len(events), BATCH):
            cursor.executemany(sql, events[start : start + BATCH])
    return len(rows)


def _timed(run, company: Company) -> tuple[float, int]:
    _clear(company)
    start = time.perf_counter()
    created = run(company)
    return time.perf_counter() - start, created


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plans", type=int, default=12000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    company = _company_with_plans(args.plans)
    app_times, floor_times = [], []
    for _ in range(args.runs):
        # Alternated, so a warmer buffer pool or a busier machine favours neither.
        elapsed, floor_created = _timed(_floor, company)
        floor_times.append(elapsed)
        elapsed, app_created = _timed(_app, company)
        app_times.append(elapsed)
        if app_created != floor_created:
            raise SystemExit(f"the app created {app_created} visits, the floor {floor_created}")
    events = AuditEvent.objects.filter(company=company, object_type="visit").count()
    app, floor = statistics.median(app_times), statistics.median(floor_times)
    print(
        f"scheduling {FROM}..{TO} for {args.plans} plans: {app_created} visits, {events} events\n"
        f"  app   median {app:.2f} s (runs {' '.join(f'{t:.2f}' for t in app_times)})\n"
        f"  floor median {floor:.2f} s (runs {' '.join(f'{t:.2f}' for t in floor_times)})\n"
        f"  app / floor: {app / floor:.2f}x (target: at most 5x)"
    )


if __name__ == "__main__":
    main()
