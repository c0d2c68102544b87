"""Demo and volume data for plans and visits; `manage.py seed_demo` calls these after pools.demo
and catalog.demo (whose pools and items they need).

load: every demo pool gets a weekly plan (served by the company's technicians: the file's are
made members when it has none), and the last DEMO_WEEKS weeks of visits are scheduled and
completed through the services, with plausible readings (a few out of range) and the chemicals
they called for; this week's visits from today on are left to do.

scale: every synthetic pool gets a weekly plan and the visits of the month before this week
(completed, with a reading each) and of this week (scheduled), in bulk inserts.

Both are idempotent: a pool with a plan is left as it is (and so are its visits).
"""

import datetime
import random
import secrets
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from accounts import services as accounts
from accounts.models import User
from accounts.selectors import user_list
from catalog import services as catalog
from catalog.models import Item, MovementKind
from core.context import Ctx
from customers.demo import synthetic_customers
from operations import plans, visits
from operations.dashboard import week_start
from operations.models import (
    PlanStatus,
    RateType,
    Reading,
    ServicePlan,
    SkipReason,
    Visit,
    VisitKind,
    VisitStatus,
)
from operations.readings import new_reading
from operations.scheduling import visits_schedule
from pools.models import Pool, Sanitizer
from tenancy.models import Role
from tenancy.scoping import company_of, company_today, company_zone

DEMO_WEEKS = 4
# The chemicals a technician carries (by SKU), made with an opening stock when the catalog has
# none of them: (sku, name, unit, price, cost).
CHEMICALS = (
    ("DEMO-CHL", "Liquid chlorine 12.5%", "gal", "6.50", "3.10"),
    ("DEMO-ACID", "Muriatic acid 31.45%", "gal", "9.99", "4.80"),
    ("DEMO-BICARB", "Sodium bicarbonate", "lb", "1.25", "0.55"),
)
OPENING_STOCK = Decimal(1000)
NOTES = "Weekly service: skimmed, brushed, vacuumed; water tested and balanced."
# The scale's technicians, made when the company has none.
SCALE_TECHNICIANS = 12
# Stops a scale technician serves a day (a plan's weekday and position come from its pool).
STOPS_PER_DAY = 20


def _rng(*key: object) -> random.Random:
    return random.Random("-".join(str(part) for part in key))  # noqa: S311 (test data)


def _technicians(ctx: Ctx, data: Mapping[str, Any]) -> list[User]:
    """The company's technicians; the file's are made members (created without a usable
    sign-in: an admin sets their password) when there are none."""
    found = list(user_list(ctx).filter(company_role=Role.TECHNICIAN).order_by("id"))
    if found:
        return found
    for row in data.get("technicians", []):
        first, _, last = row["name"].partition(" ")
        existing = User.objects.filter(email__iexact=row["email"]).first()
        if existing is not None:
            accounts.member_add(ctx, login=existing.username, role=Role.TECHNICIAN)
            continue
        user = accounts.user_create(
            ctx,
            username=row["email"].split("@")[0],
            email=row["email"],
            password=secrets.token_urlsafe(24),
            role=Role.TECHNICIAN,
        )
        user.set_unusable_password()
        user.first_name, user.last_name = first, last
        user.save(update_fields=["password", "first_name", "last_name"])
    return list(user_list(ctx).filter(company_role=Role.TECHNICIAN).order_by("id"))


def _chemicals(ctx: Ctx) -> dict[str, Item]:
    """The demo's chemicals by SKU, created (with their opening stock) when missing."""
    items = {}
    for sku, name, unit, price, cost in CHEMICALS:
        item = Item.objects.of(ctx).filter(sku__iexact=sku, deleted_at__isnull=True).first()
        if item is None:
            item = catalog.item_create(
                ctx,
                sku=sku,
                name=name,
                kind="chemical",
                category="Chemicals",
                unit=unit,
                price=Decimal(price),
                cost=Decimal(cost),
                track_stock=True,
            )
            catalog.stock_movement_create(
                ctx, item_id=item.pk, kind=MovementKind.RECEIPT, quantity=OPENING_STOCK
            )
        items[sku] = item
    return items


def _weekday(data: Mapping[str, Any], label: str) -> int:
    """The weekday the file's visits of the property fell on (Monday without any)."""
    days = [row["visit_date"] for row in data.get("visits", []) if row["property_label"] == label]
    return datetime.date.fromisoformat(min(days)).weekday() if days else 0


def _fee(data: Mapping[str, Any], label: str) -> Decimal:
    """What the file's first visit of the property cost a pool (50.00 without one)."""
    for row in data.get("visits", []):
        if row["property_label"] == label:
            return sum((Decimal(s.get("fee", "0")) for s in row["services"]), Decimal(0))
    return Decimal("50.00")


def water(pool: Pool, rng: random.Random) -> dict[str, Any]:
    """A plausible test of the pool's water: mostly in range, now and then chlorine low, pH or
    alkalinity off (one test in four or so has a flag)."""
    salt = pool.sanitizer == Sanitizer.SALT
    values = {
        "free_chlorine": Decimal(rng.choice((0.6, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0))),
        "combined_chlorine": Decimal(rng.choice((0.0, 0.1, 0.2, 0.2, 0.3, 0.6))),
        "ph": Decimal(rng.choice((7.2, 7.4, 7.4, 7.5, 7.6, 7.6, 7.8, 8.0))),
        "total_alkalinity": Decimal(rng.choice((70, 80, 90, 100, 100, 110, 130))),
        "calcium_hardness": Decimal(rng.choice((200, 250, 300, 350))),
        "cyanuric_acid": Decimal(rng.choice((60, 70, 80)) if salt else rng.choice((30, 40, 50))),
        "salt": Decimal(rng.choice((2800, 3000, 3200))) if salt else None,
        "temperature_f": Decimal(rng.choice((78, 80, 82, 84, 86))),
        "tds": Decimal(rng.choice((600, 800, 1200))),
    }
    return {
        name: value.quantize(Decimal("0.01")) if value is not None else None
        for name, value in values.items()
    }


def _lines(reading: Mapping[str, Any], pool: Pool, items: Mapping[str, Item]) -> list[dict]:
    """What the technician poured: the chlorine of every visit, the acid or bicarbonate the
    water called for."""
    chlorine = Decimal("1.0") if reading["free_chlorine"] >= 2 else Decimal("2.5")
    lines = [{"item_id": items["DEMO-CHL"].pk, "quantity": chlorine, "pool_id": pool.pk}]
    if reading["ph"] > Decimal("7.8") or reading["total_alkalinity"] > 120:
        lines.append(
            {"item_id": items["DEMO-ACID"].pk, "quantity": Decimal("0.5"), "pool_id": pool.pk}
        )
    if reading["total_alkalinity"] < 80:
        lines.append(
            {"item_id": items["DEMO-BICARB"].pk, "quantity": Decimal("4"), "pool_id": pool.pk}
        )
    return lines


def _on_the_day(ctx: Ctx, visit: Visit) -> None:
    """Completion stamps now; a demo visit of past weeks was done on its day (late morning)."""
    done_at = datetime.datetime.combine(
        visit.scheduled_date, datetime.time(10, 30), tzinfo=company_zone(ctx)
    )
    Visit.objects.of(ctx).filter(pk=visit.pk).update(
        started_at=done_at - datetime.timedelta(minutes=25), completed_at=done_at
    )
    Reading.objects.of(ctx).filter(visit=visit).update(created_at=done_at)


def load(ctx: Ctx, data: Mapping[str, Any], *, stdout) -> None:
    labels = [row["label"] for row in data.get("properties", [])]
    owners = {row["label"]: row["customer_email"] for row in data.get("properties", [])}
    pools = list(
        Pool.objects.of(ctx)
        .filter(property__label__in=labels)
        .select_related("property__customer")
        .order_by("property__label", "name")
    )
    pools = [
        p for p in pools if p.property.customer.email.lower() == owners[p.property.label].lower()
    ]
    crew = _technicians(ctx, data)
    today = company_today(ctx)
    start = week_start(today) - datetime.timedelta(weeks=DEMO_WEEKS)
    created = 0
    new_plans = []
    for position, pool in enumerate(pools):
        if ServicePlan.objects.of(ctx).filter(pool=pool).exists():
            continue
        new_plans.append(
            plans.plan_create(
                ctx,
                pool_id=pool.pk,
                technician_id=crew[position % len(crew)].pk if crew else None,
                weekday=_weekday(data, pool.property.label),
                start_date=start,
                rate_type=RateType.PER_VISIT,
                rate=_fee(data, pool.property.label),
                route_position=position + 1,
            )
        )
        created += 1
    stdout.write(f"service plans: {created} created, {len(pools) - created} kept")
    if not new_plans:
        return
    scheduled = visits_schedule(
        ctx, date_from=start, date_to=week_start(today) + datetime.timedelta(days=6)
    )
    items = _chemicals(ctx)
    checklist = [{"task": task, "done": True} for task in company_of(ctx).visit_checklist]
    done = skipped = 0
    past = (
        Visit.objects.of(ctx)
        .filter(plan__in=new_plans, scheduled_date__lt=today, status=VisitStatus.SCHEDULED)
        .select_related("plan__pool")
        .order_by("scheduled_date", "route_position", "id")
    )
    # The weeks the demo makes up are no news for its customers: no report is emailed for
    # them (the company's setting, in this ctx's copy only, never saved).
    company = company_of(ctx)
    emails, company.visit_report_email = company.visit_report_email, False
    try:
        for visit in past:
            pool = visit.plan.pool
            rng = _rng("ektor-visit", pool.property.label, pool.name, visit.scheduled_date)
            if rng.random() < 0.05:
                visits.visit_skip(
                    ctx, visit=visit, reason=SkipReason.GATE_LOCKED, note="Nobody home"
                )
                skipped += 1
                continue
            reading = water(pool, rng)
            visits.visit_complete(
                ctx,
                visit=visit,
                readings=[{"pool_id": pool.pk, **reading}],
                lines=_lines(reading, pool, items),
                checklist=checklist,
                customer_notes=NOTES,
            )
            _on_the_day(ctx, visit)
            done += 1
    finally:
        company.visit_report_email = emails
    stdout.write(f"visits: {scheduled['created']} scheduled, {done} completed, {skipped} skipped")


# --- scale --------------------------------------------------------------------------------


def _scale_technicians(ctx: Ctx) -> list[int]:
    found = list(
        user_list(ctx)
        .filter(company_role=Role.TECHNICIAN)
        .order_by("id")
        .values_list("id", flat=True)
    )
    if found:
        return found
    for n in range(SCALE_TECHNICIANS):
        user = accounts.user_create(
            ctx,
            username=f"scale-tech-{n + 1:02d}",
            email=f"scale-tech-{n + 1:02d}@example.com",
            password=secrets.token_urlsafe(24),
            role=Role.TECHNICIAN,
        )
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return _scale_technicians(ctx)


def scale(ctx: Ctx, volume) -> None:
    """A weekly plan for every synthetic pool without one, and its month of visits; bulk
    inserts per batch of `volume.batch_size` pools."""
    pool_ids = list(
        Pool.objects.of(ctx)
        .filter(property__customer__in=synthetic_customers(ctx), service_plans__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    crew = _scale_technicians(ctx) if pool_ids else []
    today = company_today(ctx)
    this_week = week_start(today)
    made = [0, 0, 0]
    for start in range(0, len(pool_ids), volume.batch_size):
        batch = pool_ids[start : start + volume.batch_size]
        with transaction.atomic():
            counts = _scale_batch(ctx, batch, crew, this_week, today)
        made = [a + b for a, b in zip(made, counts, strict=True)]
        volume.stdout.write(
            f"service plans: {start + len(batch)}/{len(pool_ids)} pools "
            f"({made[0]} plans, {made[1]} visits, {made[2]} readings created)"
        )
    if not pool_ids:
        volume.stdout.write("service plans: 0/0 pools (0 plans, 0 visits, 0 readings created)")


def _scale_batch(
    ctx: Ctx, pool_ids: list[int], crew: list[int], this_week: datetime.date, today: datetime.date
) -> tuple[int, int, int]:
    company = company_of(ctx)
    first = this_week - datetime.timedelta(weeks=DEMO_WEEKS)
    pools = {
        pool.pk: pool
        for pool in Pool.objects.of(ctx).filter(pk__in=pool_ids).select_related("property")
    }
    new = []
    for pool_id in pool_ids:
        # Each technician's week: STOPS_PER_DAY stops a weekday, Monday to Friday.
        slot = pool_id % (len(crew) * 5 * STOPS_PER_DAY)
        technician, rest = divmod(slot, 5 * STOPS_PER_DAY)
        weekday, position = divmod(rest, STOPS_PER_DAY)
        new.append(
            ServicePlan(
                company=company,
                pool_id=pool_id,
                technician_id=crew[technician],
                weekday=weekday,
                start_date=first,
                rate=Decimal(120 + pool_id % 5 * 20),
                status=PlanStatus.ACTIVE,
                route_position=position + 1,
            )
        )
    ServicePlan.objects.bulk_create(new)
    # MySQL does not return the ids of a bulk insert: read them back by pool.
    plans_of = {
        plan.pool_id: plan
        for plan in ServicePlan.objects.of(ctx).filter(pool_id__in=pool_ids).order_by("id")
    }
    now = timezone.now()
    rows = []
    for pool_id in pool_ids:
        plan = plans_of[pool_id]
        prop = pools[pool_id].property
        day = first + datetime.timedelta(days=plan.weekday)
        while day < this_week + datetime.timedelta(weeks=1):
            done = day < today
            at = datetime.datetime.combine(day, datetime.time(10, 30), tzinfo=company_zone(ctx))
            rows.append(
                Visit(
                    company=company,
                    kind=VisitKind.ROUTE,
                    plan_id=plan.pk,
                    property_id=prop.pk,
                    customer_id=prop.customer_id,
                    technician_id=plan.technician_id,
                    scheduled_date=day,
                    route_position=plan.route_position,
                    status=VisitStatus.COMPLETED if done else VisitStatus.SCHEDULED,
                    started_at=at - datetime.timedelta(minutes=25) if done else None,
                    completed_at=at if done else None,
                    created_at=now,
                )
            )
            day += datetime.timedelta(weeks=1)
    Visit.objects.bulk_create(rows)
    completed = (
        Visit.objects.of(ctx)
        .filter(plan__pool_id__in=pool_ids, status=VisitStatus.COMPLETED)
        .values_list("id", "plan__pool_id", "scheduled_date")
    )
    readings = [
        # As visit_complete stores a reading: with what the chemistry makes of it.
        new_reading(
            Visit(pk=visit_id, company_id=company.pk),
            pools[pool_id],
            water(pools[pool_id], _rng("ektor-scale", pool_id, day)),
        )
        for visit_id, pool_id, day in completed
    ]
    Reading.objects.bulk_create(readings)
    # Read on the visit's day (the column stamps the insert's moment).
    Reading.objects.of(ctx).filter(visit__plan__pool_id__in=pool_ids).update(
        created_at=Subquery(
            Visit.objects.of(ctx).filter(pk=OuterRef("visit_id")).values("completed_at")
        )
    )
    return len(new), len(rows), len(readings)
