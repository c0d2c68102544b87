"""The capacity plan's measurements (docs/scaling.md): a representative slice of companies with
a weekly visit per pool, loaded in bulk through the app's models; the tables' rows, data and
index bytes after ANALYZE TABLE, extrapolated linearly to a year of many companies; and the
busiest queries captured from the app's own code, each with its plan (MariaDB: ANALYZE
FORMAT=JSON; SQLite: EXPLAIN QUERY PLAN) and what it costs the app's and the server's CPU.

    scripts/capacity.sh [--companies 5 --pools 2000 --weeks 4 --json FILE]

(a throwaway MariaDB, as scripts/bench.sh), or against any migrated database:

    DATABASE_URL=mysql://... .venv/bin/python -m bench.capacity --companies 1 --pools 100

It writes into the database it is given: never point it at one that matters. With MARIADB_PID
set (scripts/mariadb.sh exports it) the server's CPU per operation is read from /proc.
"""

import argparse
import datetime
import json
import os
import random
import re
import resource
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ektor.settings")
django.setup()

from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tasks_db.models import DBTaskResult  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from accounts.models import User  # noqa: E402
from accounts.services import session_start  # noqa: E402
from audit.changes import diff, snapshot  # noqa: E402
from audit.models import AuditEvent  # noqa: E402
from billing.dashboard import office_summary  # noqa: E402
from billing.models import Invoice, InvoiceStatus, Payment  # noqa: E402
from billing.tasks import send_invoice_email  # noqa: E402
from catalog.models import Item, MovementKind, StockMovement  # noqa: E402
from core.context import Ctx  # noqa: E402
from customers.models import Customer, Property  # noqa: E402
from operations import visits as visit_services  # noqa: E402
from operations.api.plans import RoutePoolOut, RouteStopOut  # noqa: E402
from operations.models import Photo, Reading, ServicePlan, Visit, VisitLine, VisitStatus  # noqa: E402
from operations.readings import new_reading  # noqa: E402
from operations.scheduling import visits_schedule  # noqa: E402
from operations.selectors import route_list  # noqa: E402
from pools.models import Pool  # noqa: E402
from tenancy.models import Company, Membership, Role  # noqa: E402

# A technician's day: about 25 stops, five days a week.
STOPS_A_DAY = 25
BATCH = 2000
# What a year of the target holds per slice unit: visits grow with pools x weeks, what a
# completion writes with the completed visits (in a year, every week's visit: the slice's
# days from today on are not done yet), invoices with customers x months, the rest with pools.
GROWTH = {
    "operations_visit": "weekly",
    "operations_reading": "completed",
    "operations_visitline": "completed",
    "operations_photo": "completed",
    "catalog_stockmovement": "completed",
    "audit_auditevent": "events",
    "billing_invoice": "monthly",
    "billing_payment": "monthly",
    "customers_customer": "fixed",
    "customers_property": "fixed",
    "pools_pool": "fixed",
    "operations_serviceplan": "fixed",
}
MODELS = {
    "operations_visit": Visit,
    "operations_reading": Reading,
    "operations_visitline": VisitLine,
    "operations_photo": Photo,
    "catalog_stockmovement": StockMovement,
    "audit_auditevent": AuditEvent,
    "billing_invoice": Invoice,
    "billing_payment": Payment,
    "customers_customer": Customer,
    "customers_property": Property,
    "pools_pool": Pool,
    "operations_serviceplan": ServicePlan,
}


@dataclass
class Slice:
    companies: int
    pools: int
    weeks: int
    months: int
    today: datetime.date
    company_ids: list[int] = field(default_factory=list)
    # Visits completed in the slice (those before today).
    completed: int = 0


def _monday(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def _moment(day: datetime.date, minutes: int) -> datetime.datetime:
    start = datetime.datetime.combine(day, datetime.time(8), tzinfo=datetime.UTC)
    return start + datetime.timedelta(minutes=minutes)


def _batches(rows: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


def _insert(model: type, rows: list[Any]) -> list[Any]:
    made: list[Any] = []
    for chunk in _batches(rows):
        made.extend(model.objects.bulk_create(chunk))
    return made


class _Trail:
    """The audit events the services would have written for the bulk-made rows: a create per
    row (its snapshot as the changes), by the actor and request the service would name."""

    def __init__(self, company: Company) -> None:
        self.company = company
        self.events: list[AuditEvent] = []

    def add(self, action: str, row: Any, actor: Any, at: datetime.datetime, changes=None) -> None:
        self.events.append(
            AuditEvent(
                at=at,
                company_id=self.company.pk,
                actor_user_id=getattr(actor, "pk", None),
                actor=getattr(actor, "username", "command:visits_schedule"),
                action=action,
                object_type=row._meta.model_name,
                object_id=row.pk,
                changes=changes if changes is not None else diff(None, snapshot(row)),
                request_id=uuid.uuid4().hex,
            )
        )

    def flush(self) -> None:
        _insert(AuditEvent, self.events)
        self.events = []


def _reading_values(rng: random.Random) -> dict[str, Decimal]:
    return {
        "free_chlorine": Decimal(rng.randint(5, 60)) / 10,
        "combined_chlorine": Decimal(rng.randint(0, 5)) / 10,
        "ph": Decimal(rng.randint(70, 80)) / 10,
        "total_alkalinity": Decimal(rng.randint(60, 140)),
        "calcium_hardness": Decimal(rng.randint(150, 400)),
        "cyanuric_acid": Decimal(rng.randint(20, 90)),
        "temperature_f": Decimal(rng.randint(70, 90)),
    }


def _company(n: int, slice_: Slice, rng: random.Random) -> None:
    """One company of the slice: its customers (one property and one pool each), a weekly plan
    per pool over ~STOPS_A_DAY-stop routes, the weeks' visits (completed before today, with a
    reading, lines, their stock movements and a photo; scheduled from today), monthly invoices
    with a payment on most, and the audit trail of it all."""
    tag = f"cap{uuid.uuid4().hex[:8]}{n}"
    company = Company.objects.create(slug=tag, name=f"Capacity {n}")
    slice_.company_ids.append(company.pk)
    trail = _Trail(company)
    technicians = [
        User.objects.create_user(
            username=f"{tag}-tech{t}",
            email=f"tech{t}@{tag}.example.com",
            password=None,
            role=Role.TECHNICIAN,
        )
        for t in range(max(1, -(-slice_.pools // (STOPS_A_DAY * 5))))
    ]
    Membership.objects.bulk_create(
        [Membership(user=u, company=company, role=Role.TECHNICIAN) for u in technicians]
    )
    office = Ctx.system(company)
    customers = _insert(
        Customer,
        [
            Customer(
                company=company,
                first_name=f"First{i}",
                last_name=f"Last{i % 997}",
                email=f"customer{i}@{tag}.example.com",
                phone=f"787-555-{i % 10000:04d}",
            )
            for i in range(slice_.pools)
        ],
    )
    properties = _insert(
        Property,
        [
            Property(
                company=company,
                customer=c,
                label="Home",
                address1=f"{i} Calle Sol",
                city="San Juan",
                state="PR",
                postal_code="00901",
            )
            for i, c in enumerate(customers)
        ],
    )
    pools = _insert(
        Pool,
        [
            Pool(company=company, property=p, name="Pool", volume_gallons=rng.randint(8, 30) * 1000)
            for p in properties
        ],
    )
    chemicals = _insert(
        Item,
        [
            Item(
                company=company,
                sku=f"CHEM-{k}",
                name=f"Chemical {k}",
                kind="chemical",
                unit="gal",
                price=Decimal("4.50"),
                cost=Decimal("2.10"),
                track_stock=True,
                stock_quantity=Decimal(1_000_000),
            )
            for k in range(20)
        ],
    )
    services = _insert(
        Item,
        [
            Item(
                company=company,
                sku=f"SVC-{k}",
                name=f"Service {k}",
                kind="service",
                price=Decimal(30),
                track_stock=False,
            )
            for k in range(20)
        ],
    )
    stock = {item.pk: item.stock_quantity for item in chemicals}
    receipts = _insert(
        StockMovement,
        [
            StockMovement(
                company=company,
                item=item,
                kind=MovementKind.RECEIPT,
                quantity=stock[item.pk],
                stock_after=stock[item.pk],
                unit_cost=item.cost,
                note="Opening stock",
            )
            for item in chemicals
        ],
    )
    plans = _insert(
        ServicePlan,
        [
            ServicePlan(
                # Each technician's pools spread over the five weekdays, in route order.
                company=company,
                pool=pool,
                technician=technicians[i % len(technicians)],
                weekday=(i // len(technicians)) % 5,
                start_date=slice_.today - datetime.timedelta(days=400),
                rate=Decimal(160),
                route_position=i // len(technicians) // 5,
            )
            for i, pool in enumerate(pools)
        ],
    )
    for row in [*customers, *properties, *pools, *chemicals, *services, *receipts, *plans]:
        trail.add("create", row, None, timezone.now())
    trail.flush()

    first_monday = _monday(slice_.today) - datetime.timedelta(weeks=slice_.weeks - 1)
    pool_of = {pool.pk: pool for pool in pools}
    property_customer = {p.pk: p.customer_id for p in properties}
    checklist = [{"task": task, "done": True} for task in company.visit_checklist]
    for week in range(slice_.weeks):
        monday = first_monday + datetime.timedelta(weeks=week)
        visits = _insert(
            Visit,
            [
                Visit(
                    company=company,
                    plan=plan,
                    property_id=pool_of[plan.pool_id].property_id,
                    customer_id=property_customer[pool_of[plan.pool_id].property_id],
                    technician_id=plan.technician_id,
                    scheduled_date=monday + datetime.timedelta(days=plan.weekday),
                    route_position=plan.route_position,
                )
                for plan in plans
            ],
        )
        for visit in visits:
            trail.add("create", visit, None, _moment(monday, -60))
        done = [v for v in visits if v.scheduled_date < slice_.today]
        slice_.completed += len(done)
        _complete_in_bulk(
            company, done, plans, pool_of, chemicals, services, stock, checklist, trail, rng
        )
        trail.flush()
    Item.unscoped.bulk_update(
        [Item(pk=pk, stock_quantity=quantity) for pk, quantity in stock.items()],
        ["stock_quantity"],
    )
    _invoices(company, office, customers, properties, slice_, trail, rng)
    trail.flush()


def _complete_in_bulk(
    company, done, plans, pool_of, chemicals, services, stock, checklist, trail, rng
) -> None:
    """What visit_complete writes for each visit, in bulk: the visit's new state, a reading
    analysed by the app's chemistry, a chlorine line (and half the time an acid one) taking
    stock, one service line in five, a photo; and their events."""
    technician_of = {plan.pk: plan.technician for plan in plans}
    plan_pool = {plan.pk: plan.pool_id for plan in plans}
    readings, lines, movements, photos = [], [], [], []
    for visit in done:
        at = _moment(visit.scheduled_date, visit.route_position * 18)
        visit.status, visit.started_at, visit.completed_at = VisitStatus.COMPLETED, at, at
        visit.checklist = checklist
        pool = pool_of[plan_pool[visit.plan_id]]
        readings.append(new_reading(visit, pool, {**_reading_values(rng), "pool_id": pool.pk}))
        used = [rng.choice(chemicals[:10])] + (
            [rng.choice(chemicals[10:])] if rng.random() < 0.5 else []
        )
        for item in used:
            quantity = Decimal(rng.randint(5, 40)) / 10
            stock[item.pk] -= quantity
            movements.append(
                StockMovement(
                    company=company,
                    item=item,
                    kind=MovementKind.USAGE,
                    quantity=-quantity,
                    stock_after=stock[item.pk],
                    visit_id=visit.pk,
                    note=f"Visit {visit.pk}",
                    created_by=technician_of[visit.plan_id],
                )
            )
            lines.append(
                VisitLine(
                    company=company,
                    visit=visit,
                    item=item,
                    pool=pool,
                    description=item.name,
                    quantity=quantity,
                    unit_price=item.price,
                    taxable=item.taxable,
                )
            )
        if rng.random() < 0.2:
            item = rng.choice(services)
            lines.append(
                VisitLine(
                    company=company,
                    visit=visit,
                    item=item,
                    description=item.name,
                    quantity=Decimal(1),
                    unit_price=item.price,
                    taxable=item.taxable,
                )
            )
        photos.append(
            Photo(
                company=company,
                visit=visit,
                pool=pool,
                file_name=f"photos/{company.pk}/{visit.pk}/{uuid.uuid4().hex}.jpg",
                thumbnail_name=f"photos/{company.pk}/{visit.pk}/{uuid.uuid4().hex}-thumb.jpg",
                content_type="image/jpeg",
                width=1600,
                height=1200,
                size=rng.randint(200_000, 500_000),
                created_by=technician_of[visit.plan_id],
            )
        )
    Visit.unscoped.bulk_update(
        done, ["status", "started_at", "completed_at", "checklist"], batch_size=BATCH
    )
    movements = _insert(StockMovement, movements)
    used_lines = [line for line in lines if line.item.track_stock]
    for line, movement in zip(used_lines, movements, strict=True):
        line.movement = movement
    for visit in done:
        actor = technician_of[visit.plan_id]
        trail.add(
            "complete",
            visit,
            actor,
            visit.completed_at,
            changes={
                "status": ["scheduled", "completed"],
                "started_at": [None, visit.completed_at.strftime("%Y-%m-%dT%H:%M:%SZ")],
                "completed_at": [None, visit.completed_at.strftime("%Y-%m-%dT%H:%M:%SZ")],
                "checklist": [[], checklist],
            },
        )
    visit_of = {visit.pk: visit for visit in done}
    for rows in (
        _insert(Reading, readings),
        movements,
        _insert(VisitLine, lines),
        _insert(Photo, photos),
    ):
        for row in rows:
            visit = visit_of[row.visit_id]
            trail.add("create", row, technician_of[visit.plan_id], visit.completed_at)


def _invoices(company, office, customers, properties, slice_, trail, rng) -> None:
    """A monthly invoice per customer for the slice's months (issued on the 1st, due in 30
    days), four in five paid by one payment."""
    property_of = {p.customer_id: p.pk for p in properties}
    month = slice_.today.replace(day=1)
    numbered = 0
    for back in range(slice_.months):
        year, index = divmod(month.year * 12 + month.month - 1 - back, 12)
        issued = datetime.date(year, index + 1, 1)
        rows = []
        for customer in customers:
            numbered += 1
            paid = rng.random() < 0.8
            paid_on = _moment(issued, 60 * 24 * 10).date() if paid else None
            rows.append(
                Invoice(
                    company=company,
                    number=f"INV-{issued.year}-{numbered:06d}",
                    customer=customer,
                    property_id=property_of[customer.pk],
                    period_start=issued,
                    period_end=issued + datetime.timedelta(days=27),
                    status=InvoiceStatus.PAID if paid else InvoiceStatus.SENT,
                    issued_date=issued,
                    due_date=issued + datetime.timedelta(days=30),
                    subtotal=Decimal(160),
                    tax=Decimal("18.40"),
                    total=Decimal("178.40"),
                    sent_at=_moment(issued, 0),
                    paid_at=_moment(issued, 60 * 24 * 10) if paid else None,
                    # What billing.settlement keeps for the payment below.
                    settled_on=paid_on,
                    first_received_on=paid_on,
                    last_received_on=paid_on,
                    payments_total=Decimal("178.40") if paid else Decimal(0),
                )
            )
        invoices = _insert(Invoice, rows)
        payments = _insert(
            Payment,
            [
                Payment(
                    company=company,
                    invoice=invoice,
                    amount=invoice.total,
                    paid_date=invoice.paid_at.date(),
                    method="ath_movil",
                    reference=f"ATH{invoice.pk:010d}",
                )
                for invoice in invoices
                if invoice.paid_at is not None
            ],
        )
        for row in [*invoices, *payments]:
            trail.add("create", row, None, _moment(issued, 0))


def generate(companies: int, pools: int, weeks: int, today: datetime.date, seed: int = 21) -> Slice:
    months = max(1, round(weeks * 12 / 52))
    slice_ = Slice(companies=companies, pools=pools, weeks=weeks, months=months, today=today)
    rng = random.Random(seed)
    for n in range(companies):
        with transaction.atomic():
            _company(n, slice_, rng)
    return slice_


# --- sizes --------------------------------------------------------------------------------


def _rows(table: str, company_ids: list[int]) -> int:
    model = MODELS[table]
    manager = getattr(model, "unscoped", model.objects)
    return manager.filter(company_id__in=company_ids).count()


def sizes(slice_: Slice) -> list[dict[str, Any]]:
    """Per table: the slice's rows (counted), the table's data and index bytes and each
    index's bytes as the database reports them. Only the slice is in a fresh database, so
    the bytes are the slice's."""
    tables = list(GROWTH)
    out = []
    with connection.cursor() as cursor:
        if connection.vendor == "mysql":
            for table in tables:
                cursor.execute(f"ANALYZE TABLE {connection.ops.quote_name(table)}")
                cursor.fetchall()
            cursor.execute(
                "SELECT TABLE_NAME, TABLE_ROWS, DATA_LENGTH, INDEX_LENGTH, AVG_ROW_LENGTH "
                "FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()"
            )
            info = {row[0]: row[1:] for row in cursor.fetchall()}
            cursor.execute(
                "SELECT table_name, index_name, stat_value * @@innodb_page_size "
                "FROM mysql.innodb_index_stats WHERE database_name = DATABASE() "
                "AND stat_name = 'size'"
            )
            indexes: dict[str, dict[str, int]] = {}
            for table, index, size in cursor.fetchall():
                indexes.setdefault(table, {})[index] = int(size)
        else:
            cursor.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'index'")
            owner = dict(cursor.fetchall())
            cursor.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name")
            pages = dict(cursor.fetchall())
            info = {
                t: (
                    None,
                    pages.get(t, 0),
                    sum(s for n, s in pages.items() if owner.get(n) == t),
                    None,
                )
                for t in tables
            }
            indexes = {
                t: {n: int(s) for n, s in pages.items() if owner.get(n) == t} for t in tables
            }
        by_type = {
            f"{kind} {action}": n
            for kind, action, n in AuditEvent.objects.filter(company_id__in=slice_.company_ids)
            .values_list("object_type", "action")
            .annotate(n=Count("id"))
        }
    for table in tables:
        estimate, data, index, avg = info[table]
        counted = _rows(table, slice_.company_ids)
        out.append(
            {
                "table": table,
                "growth": GROWTH[table],
                "rows": counted,
                "table_rows_estimate": estimate,
                "data_bytes": int(data),
                "index_bytes": int(index),
                "avg_row_length": avg,
                "indexes": dict(sorted(indexes.get(table, {}).items())),
            }
        )
        if table == "audit_auditevent":
            out[-1]["rows_by_object"] = by_type
    return out


def extrapolate(tables: list[dict[str, Any]], slice_: Slice, companies: int, pools: int) -> None:
    """A year of `companies` x `pools`, linearly: weekly tables by pools x 52 weeks, monthly
    ones by customers x 12 months, the rest by pools. Adds year_rows, year_data_bytes,
    year_index_bytes to each table."""
    slice_pools = slice_.companies * slice_.pools
    factor = {
        "weekly": companies * pools * 52 / (slice_pools * slice_.weeks),
        "monthly": companies * pools * 12 / (slice_pools * slice_.months),
        "fixed": companies * pools / slice_pools,
        "completed": companies * pools * 52 / max(1, slice_.completed),
    }
    growth_of = {MODELS[t]._meta.model_name: growth for t, growth in GROWTH.items()}
    for table in tables:
        rows = table["rows"] or 1
        scale = factor.get(table["growth"], 1.0)
        if "rows_by_object" in table:
            # Each event grows as what it records: a visit's creation weekly, its completion
            # and the rows a completion makes per completed visit, a customer's not.
            year = sum(
                n
                * factor[
                    "completed"
                    if key.endswith(" complete")
                    else growth_of.get(key.split()[0], "fixed")
                ]
                for key, n in table["rows_by_object"].items()
            )
            scale = year / rows
        table["bytes_per_row"] = round(table["data_bytes"] / rows, 1)
        table["index_bytes_per_row"] = round(table["index_bytes"] / rows, 1)
        table["year_rows"] = round(table["rows"] * scale)
        table["year_data_bytes"] = round(table["data_bytes"] * scale)
        table["year_index_bytes"] = round(table["index_bytes"] * scale)


# --- the busiest queries ------------------------------------------------------------------


def _proc_cpu_ms(pid: str | None) -> float | None:
    if not pid:
        return None
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def _explain(sql: str) -> dict[str, Any]:
    """The plan of one captured SELECT: on MariaDB ANALYZE FORMAT=JSON (it runs the query),
    each table's access (type, key, rows examined); on SQLite EXPLAIN QUERY PLAN."""
    with connection.cursor() as cursor:
        if connection.vendor == "mysql":
            verb = "ANALYZE FORMAT=JSON " if connection.mysql_is_mariadb else "EXPLAIN FORMAT=JSON "
            cursor.execute(verb + sql)
            plan = json.loads(cursor.fetchone()[0])
            return {"tables": list(_accesses(plan)), "json": plan}
        cursor.execute("EXPLAIN QUERY PLAN " + sql)
        return {"tables": [{"detail": row[-1]} for row in cursor.fetchall()], "json": None}


def _accesses(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if "table_name" in node:
            yield {
                "table": node["table_name"],
                "access": node.get("access_type"),
                "key": node.get("key"),
                "rows_estimate": node.get("rows"),
                "rows_examined": node.get("r_rows"),
                "ms": node.get("r_total_time_ms"),
                "filesort": False,
            }
        for key, value in node.items():
            if key in ("filesort", "read_sorted_file") and isinstance(value, dict):
                for access in _accesses(value):
                    access["filesort"] = True
                    yield access
            else:
                yield from _accesses(value)
    elif isinstance(node, list):
        for value in node:
            yield from _accesses(value)


def _select(sql: str) -> bool:
    return sql.lstrip().upper().startswith("SELECT")


@dataclass
class Operation:
    name: str
    # Each call of run() does `count` operations (a page of a list is one).
    run: Callable[[], Any]
    calls: int
    count: int = 1
    explain: bool = True
    # Run once before the capture: what the benchmark reads to drive the calls is not the app's.
    setup: Callable[[], Any] | None = None


def measure(op: Operation, mariadb_pid: str | None) -> dict[str, Any]:
    """App CPU, server CPU and wall per operation over `calls` calls, after one warm call whose
    queries are captured (and their SELECTs explained)."""
    if op.setup is not None:
        op.setup()
    with CaptureQueriesContext(connection) as queries:
        op.run()
    captured = [q["sql"] for q in queries.captured_queries]
    db_before, cpu, wall = _proc_cpu_ms(mariadb_pid), time.process_time(), time.perf_counter()
    for _ in range(op.calls):
        op.run()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    db_after = _proc_cpu_ms(mariadb_pid)
    done = op.calls * op.count
    plans = []
    if op.explain:
        seen = set()
        for sql in captured:
            shape = re.sub(r"\b\d+\b|'[^']*'", "?", sql)
            if _select(sql) and shape not in seen and " FOR UPDATE" not in sql.upper():
                seen.add(shape)
                try:
                    plans.append({"sql": sql, **_explain(sql)})
                except Exception as error:  # a plan that cannot be shown is reported, not fatal
                    plans.append({"sql": sql, "error": str(error), "tables": []})
    return {
        "name": op.name,
        "operations": done,
        "queries": round(len(captured) / op.count, 2),
        "statements": _kinds(captured),
        "app_cpu_ms": round(cpu * 1000 / done, 3),
        "db_cpu_ms": None
        if db_before is None or db_after is None
        else round((db_after - db_before) / done, 3),
        "wall_ms": round(wall * 1000 / done, 3),
        "plans": plans,
    }


def _kinds(captured: list[str]) -> dict[str, int]:
    kinds: dict[str, int] = {}
    for sql in captured:
        verb = sql.lstrip().split(None, 1)[0].upper()
        if verb == "SELECT" and "FOR UPDATE" in sql.upper():
            verb = "SELECT FOR UPDATE"
        kinds[verb] = kinds.get(verb, 0) + 1
    return kinds


def _to_complete(company: Company, count: int) -> Iterator[tuple[Visit, Ctx, dict]]:
    """Today's (and the week's later) scheduled visits, each with its technician's ctx and a
    completion as the app receives it: a reading and two lines."""
    chlorine = Item.objects.filter(company=company, track_stock=True).order_by("id").first()
    service = Item.objects.filter(company=company, track_stock=False).order_by("id").first()
    visits = (
        Visit.unscoped.filter(company=company, status=VisitStatus.SCHEDULED)
        .select_related("plan__pool", "technician")
        .order_by("scheduled_date", "technician_id", "route_position")[:count]
    )
    rng = random.Random(17)
    for visit in visits:
        ctx = Ctx.for_user(visit.technician, company, Role.TECHNICIAN)
        pool = visit.plan.pool
        yield (
            visit,
            ctx,
            {
                "readings": [{**_reading_values(rng), "pool_id": pool.pk}],
                "lines": [
                    {"item_id": chlorine.pk, "quantity": Decimal("2.5"), "pool_id": pool.pk},
                    {"item_id": service.pk, "quantity": Decimal(1)},
                ],
                "checklist": [{"task": t, "done": True} for t in company.visit_checklist],
                "customer_notes": "Filter cleaned.",
            },
        )


def busiest(slice_: Slice, calls: int, completions: int, mariadb_pid: str | None) -> list[dict]:
    company = Company.objects.get(pk=slice_.company_ids[0])
    today = slice_.today
    technician = Membership.unscoped.filter(company=company, role=Role.TECHNICIAN).first().user
    office = Ctx.system(company)
    tech_ctx = Ctx.for_user(technician, company, Role.TECHNICIAN)
    admin = User.objects.create_user(
        username=f"capacity-admin-{uuid.uuid4().hex[:8]}",
        email="capacity@example.com",
        password=None,
        role=Role.ADMIN,
    )
    Membership.objects.create(user=admin, company=company, role=Role.ADMIN)
    client = APIClient(HTTP_HOST="localhost")
    tokens = session_start(Ctx.system(), user=admin, user_agent="capacity", ip_address="127.0.0.1")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    busiest_day = (
        Visit.unscoped.filter(company=company, technician=technician, scheduled_date__gte=today)
        .order_by("scheduled_date")
        .values_list("scheduled_date", flat=True)
        .first()
    ) or today
    pool_id = Pool.unscoped.filter(company=company).order_by("id").values_list("id", flat=True)[0]

    def route_of_day() -> list[dict]:
        # GET /route's read: the technician's stops in order, with customer, property and pool.
        return route_list(
            tech_ctx,
            day=busiest_day,
            columns=RouteStopOut.columns(),
            pool_columns=RoutePoolOut.columns(),
        )

    def office_day() -> list[Visit]:
        return list(
            Visit.objects.of(office)
            .filter(scheduled_date=busiest_day)
            .order_by("technician_id", "route_position")
        )

    def get(path: str) -> Callable[[], Any]:
        def call() -> Any:
            response = client.get(path)
            if response.status_code != 200:
                raise SystemExit(
                    f"{path} answered {response.status_code}: {response.content[:200]}"
                )
            return response

        return call

    # Chosen after the scheduling ran (its visits may be taken), before the capture.
    pending: Iterator[tuple[Visit, Ctx, dict]] = iter(())

    def choose() -> None:
        nonlocal pending
        pending = iter(list(_to_complete(company, completions + 1)))

    def complete() -> None:
        visit, ctx, data = next(pending)
        visit_services.visit_complete(ctx, visit=visit, **data)

    # The weeks after the slice's last: nothing is scheduled there yet.
    monday = _monday(today) + datetime.timedelta(weeks=1)
    weeks = iter(range(calls + 1))

    def schedule() -> None:
        start = monday + datetime.timedelta(weeks=next(weeks))
        visits_schedule(office, date_from=start, date_to=start + datetime.timedelta(days=6))

    operations = [
        Operation("route of a day (a technician's stops, in order)", route_of_day, calls),
        Operation(
            "the office's day (all stops of a company's day)", office_day, max(1, calls // 5)
        ),
        Operation(
            "a pool's last 10 readings",
            lambda: list(Reading.objects.of(office).filter(pool_id=pool_id).order_by("-id")[:10]),
            calls,
        ),
        Operation(
            "visit list page (50 newest)",
            lambda: list(Visit.objects.of(office).order_by("-id")[:50]),
            calls,
        ),
        Operation("GET /api/v1/invoices?limit=50", get("/api/v1/invoices?limit=50"), calls),
        Operation("GET /api/v1/customers?limit=50", get("/api/v1/customers?limit=50"), calls),
        Operation("GET /api/v1/pools?limit=50", get("/api/v1/pools?limit=50"), calls),
        Operation("GET /api/v1/audit-events?limit=50", get("/api/v1/audit-events?limit=50"), calls),
        Operation(
            "office dashboard (office_summary)", lambda: office_summary(office, today=today), calls
        ),
        Operation(
            f"scheduling a week (visits_schedule: {slice_.pools} plans)",
            schedule,
            max(1, min(3, calls // 20)),
            count=slice_.pools,
        ),
        Operation(
            "visit completion (visit_complete: 1 reading, 2 lines)",
            complete,
            completions,
            setup=choose,
        ),
    ]
    return [measure(op, mariadb_pid) for op in operations if op.calls > 0]


def _worker_cpu_ms(env: dict[str, str]) -> tuple[float, float | None]:
    """The CPU of one `manage.py db_worker --batch` run (it drains the queue and exits), and
    the server's CPU meanwhile."""
    mariadb_pid = os.environ.get("MARIADB_PID")
    before, db_before = resource.getrusage(resource.RUSAGE_CHILDREN), _proc_cpu_ms(mariadb_pid)
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--batch",
            "--no-reload",
            "--no-startup-delay",
            "--queue-name=*",
        ],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        # Its log lines (one per task) would bury the report; a failure raises with them.
        stderr=subprocess.PIPE,
    )
    after, db_after = resource.getrusage(resource.RUSAGE_CHILDREN), _proc_cpu_ms(mariadb_pid)
    cpu = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1000
    return cpu, None if db_before is None or db_after is None else db_after - db_before


def worker_emails(slice_: Slice, count: int) -> list[dict[str, Any]]:
    """A real worker process draining the queue: first the tasks the measured completions
    queued (the visit reports, when the company sends them), then `count` invoice emails
    (billing.tasks.send_invoice_email); each less the same worker started on an empty queue.
    The emails are rendered and handed to the console backend: no SMTP round trip."""
    env = {**os.environ, "EMAIL_URL": "", "LOG_LEVEL": "WARNING"}
    queued = DBTaskResult.objects.ready().count()
    reports, reports_db = _worker_cpu_ms(env)
    empty, empty_db = _worker_cpu_ms(env)
    invoices = Invoice.unscoped.filter(company_id=slice_.company_ids[0]).values_list(
        "company_id", "pk"
    )[:count]
    for company_id, invoice_id in invoices:
        send_invoice_email.enqueue(company_id, invoice_id)
    busy, busy_db = _worker_cpu_ms(env)
    runs = [(f"worker: queued by the completions ({queued} tasks)", queued, reports, reports_db)]
    runs.append((f"worker: invoice emails ({len(invoices)})", len(invoices), busy, busy_db))
    return [
        {
            "name": name,
            "operations": done,
            "worker_start_cpu_ms": round(empty, 1),
            "app_cpu_ms": round((cpu - empty) / done, 3),
            "db_cpu_ms": None
            if db is None or empty_db is None
            else round((db - empty_db) / done, 3),
        }
        for name, done, cpu, db in runs
        if done
    ]


# --- the report ---------------------------------------------------------------------------


def _gb(n: int) -> str:
    return f"{n / 1e9:,.1f}"


def render(report: dict[str, Any]) -> str:
    s = report["slice"]
    lines = [
        f"capacity: {report['server']}, {report['started']} (load average {report['load']})",
        f"slice: {s['companies']} companies x {s['pools']} pools, {s['weeks']} weeks of "
        f"visits ({s['completed']:,} completed: those before {s['today']}), {s['months']} "
        f"month(s) of invoices; generated in {report['generate_s']} s",
        f"target: a year of {report['target']['companies']} companies x "
        f"{report['target']['pools']} pools",
        "",
        "| table | grows | slice rows | data B/row | index B/row | year rows | year data GB "
        "| year index GB |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    total_data = total_index = 0
    for t in report["tables"]:
        total_data += t["year_data_bytes"]
        total_index += t["year_index_bytes"]
        lines.append(
            f"| {t['table']} | {t['growth']} | {t['rows']:,} | {t['bytes_per_row']} | "
            f"{t['index_bytes_per_row']} | {t['year_rows']:,} | {_gb(t['year_data_bytes'])} | "
            f"{_gb(t['year_index_bytes'])} |"
        )
    lines.append(f"| **total** | | | | | | **{_gb(total_data)}** | **{_gb(total_index)}** |")
    lines += ["", "index bytes per row (each index's pages / the slice's rows):"]
    for t in report["tables"]:
        rows = t["rows"] or 1
        parts = ", ".join(f"{name} {size / rows:.0f}" for name, size in t["indexes"].items())
        lines.append(f"- {t['table']}: {parts}")
    lines += [
        "",
        "| operation | queries | statements | app CPU ms | server CPU ms | wall ms |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for op in report["operations"]:
        kinds = " ".join(f"{k} {v}" for k, v in op.get("statements", {}).items())
        db = "" if op["db_cpu_ms"] is None else op["db_cpu_ms"]
        lines.append(
            f"| {op['name']} | {op.get('queries', '')} | {kinds} | {op['app_cpu_ms']} | {db} | "
            f"{op.get('wall_ms', '')} |"
        )
    lines += ["", "plans (per table: access, key, rows examined / estimated, filesort):"]
    for op in report["operations"]:
        for plan in op.get("plans", ()):
            if plan.get("error"):
                lines.append(f"- {op['name']}: {plan['error']}")
                continue
            accesses = "; ".join(
                f"{a['detail']}"
                if "detail" in a
                else f"{a['table']} {a['access']} {a['key'] or '-'} {a['rows_examined']}/"
                f"{a['rows_estimate']}{' filesort' if a['filesort'] else ''}"
                for a in plan["tables"]
            )
            lines.append(f"- {op['name']}: {accesses}\n  `{plan['sql'][:300]}`")
    return "\n".join(lines)


def run(
    companies: int,
    pools: int,
    weeks: int,
    calls: int,
    completions: int,
    target_companies: int = 500,
    target_pools: int = 2000,
    emails: int = 0,
) -> dict[str, Any]:
    started = timezone.now()
    clock = time.perf_counter()
    slice_ = generate(companies, pools, weeks, timezone.localdate())
    generated = round(time.perf_counter() - clock, 1)
    tables = sizes(slice_)
    extrapolate(tables, slice_, target_companies, target_pools)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT VERSION()" if connection.vendor == "mysql" else "SELECT sqlite_version()"
        )
        version = cursor.fetchone()[0]
    operations = busiest(slice_, calls, completions, os.environ.get("MARIADB_PID"))
    if emails:
        operations.extend(worker_emails(slice_, emails))
    return {
        "server": f"{connection.vendor} {version}",
        "started": started.strftime("%Y-%m-%d %H:%M UTC"),
        "load": " ".join(open("/proc/loadavg").read().split()[:3]),
        "slice": {
            "companies": companies,
            "pools": pools,
            "weeks": weeks,
            "months": slice_.months,
            "today": slice_.today.isoformat(),
            "completed": slice_.completed,
        },
        "target": {"companies": target_companies, "pools": target_pools},
        "generate_s": generated,
        "tables": tables,
        "operations": operations,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--companies", type=int, default=5)
    parser.add_argument("--pools", type=int, default=2000)
    parser.add_argument("--weeks", type=int, default=3)
    parser.add_argument("--calls", type=int, default=200, help="calls per measured operation")
    parser.add_argument("--completions", type=int, default=200)
    parser.add_argument(
        "--emails", type=int, default=300, help="invoice emails a db_worker sends (0: none)"
    )
    parser.add_argument("--json", metavar="FILE", help="also write the whole report, plans too")
    parser.add_argument("--render", metavar="FILE", help="print a saved --json report; no run")
    args = parser.parse_args()
    if args.render:
        with open(args.render) as saved:
            print(render(json.load(saved)))
        return
    report = run(
        args.companies,
        args.pools,
        args.weeks,
        args.calls,
        args.completions,
        emails=args.emails,
    )
    if args.json:
        with open(args.json, "w") as out:
            json.dump(report, out, indent=1, default=str)
    print(render(report))


if __name__ == "__main__":
    main()
