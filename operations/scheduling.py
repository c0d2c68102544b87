"""The visits of service plans: `visits_schedule` creates a date range's route visits of every
running plan of a company at once, on the dates operations.recurrence gives.

Scheduling is idempotent by the database: a plan never gets two visits on one date
(operations_visit_plan_date_unique). What exists is read first only to insert less; the
constraint decides: an insert that meets a visit another transaction made meanwhile fails on
it, and the run tries again with what is then missing. Two scheduling runs of overlapping
ranges also take the plans' row locks in id order, so the later one waits for the earlier
and finds its visits (see _wanted).
"""

import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q

from audit.changes import diff, snapshot
from audit.services import record_many
from core.context import Ctx
from core.errors import Conflict, FieldError, InvalidInput
from operations.error_codes import OperationsErrorCode
from operations.models import PlanPause, PlanStatus, ServicePlan, Visit, VisitKind
from operations.plans import plans_status_refresh
from operations.recurrence import OUT_OF_RANGE, PlanSchedule, Span, out_of_range, plan_dates
from tenancy.scoping import company_of

# The longest range one run schedules (the contract's), in days, both ends included.
MAX_RANGE_DAYS = 62
# Rows per INSERT: well under MySQL's max_allowed_packet and SQLite's variable limit.
BATCH_SIZE = 1000
# How often a run tries again when a concurrent run inserted some of its visits first.
ATTEMPTS = 5
# What the database names when the (plan, date) constraint refuses a row: the constraint on
# MySQL/MariaDB, the columns on SQLite.
UNIQUE_PLAN_DATE = (
    "operations_visit_plan_date_unique",
    "operations_visit.plan_id, operations_visit.scheduled_date",
)


def schedule_range_errors(
    ctx: Ctx, *, date_from: datetime.date, date_to: datetime.date
) -> list[FieldError]:
    """A range runs forward and spans at most MAX_RANGE_DAYS days (422 on `to`)."""
    for field, day in (("from", date_from), ("to", date_to)):
        if out_of_range(day):
            return [FieldError(field, OUT_OF_RANGE, "range")]
    if date_to < date_from:
        return [FieldError("to", f"to ({date_to}) is before from ({date_from})", "range")]
    days = (date_to - date_from).days + 1
    if days > MAX_RANGE_DAYS:
        message = f"The range is {days} days; at most {MAX_RANGE_DAYS} are scheduled at once"
        return [FieldError("to", message, "range")]
    return []


_PLAN_COLUMNS = (
    "id",
    "frequency",
    "weekday",
    "start_date",
    "end_date",
    "status",
    "technician_id",
    "route_position",
    "pool__property_id",
    "pool__property__customer_id",
)


def _wanted(
    ctx: Ctx, date_from: datetime.date, date_to: datetime.date
) -> dict[tuple[int, datetime.date], dict[str, Any]]:
    """(plan id, date) -> the visit's columns, for every running plan's date in the range, in
    (plan, date) order.

    The plans are locked first, in id order, alone (a locking read with the pool and property
    joined would lock those too): a run that overlaps another waits for it at its first common
    plan, then sees its visits. Without this, InnoDB's locks on a duplicate key deadlock runs
    that insert the same visits at once; the plan's lock also keeps an edit of the plan from
    crossing its scheduling."""
    running = (
        ServicePlan.objects.of(ctx)
        .filter(status__in=(PlanStatus.ACTIVE, PlanStatus.PAUSED), start_date__lte=date_to)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=date_from))
        # A deactivated pool gets no new work (its plans stay for their history).
        .filter(pool__is_active=True)
        .order_by("id")
    )
    list(running.select_for_update().values_list("id", flat=True))
    plans = running.values_list(*_PLAN_COLUMNS)
    pauses: dict[int, list[Span]] = {}
    for plan_id, starts_on, ends_on in (
        PlanPause.objects.of(ctx)
        .filter(starts_on__lte=date_to)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=date_from))
        .values_list("plan_id", "starts_on", "ends_on")
    ):
        pauses.setdefault(plan_id, []).append((starts_on, ends_on))
    wanted = {}
    for plan_id, frequency, weekday, start, end, status, tech, position, prop, customer in plans:
        schedule = PlanSchedule(frequency, weekday, start, end, status, pauses.get(plan_id, ()))
        for day in plan_dates(schedule, date_from, date_to):
            wanted[(plan_id, day)] = {
                "plan_id": plan_id,
                "property_id": prop,
                "customer_id": customer,
                "technician_id": tech,
                "route_position": position,
                "scheduled_date": day,
            }
    return wanted


def _existing(
    ctx: Ctx, date_from: datetime.date, date_to: datetime.date
) -> dict[tuple[int, datetime.date], int]:
    rows = (
        Visit.objects.of(ctx)
        .filter(plan__isnull=False, scheduled_date__gte=date_from, scheduled_date__lte=date_to)
        .values_list("plan_id", "scheduled_date", "id")
    )
    return {(plan_id, day): pk for plan_id, day, pk in rows}


def _insert_missing(
    ctx: Ctx,
    wanted: dict[tuple[int, datetime.date], dict[str, Any]],
    date_from: datetime.date,
    date_to: datetime.date,
) -> list[Visit]:
    """Insert the wanted visits that do not exist yet; the ones this run inserted, with ids."""
    company = company_of(ctx)
    for _ in range(ATTEMPTS):
        existing = _existing(ctx, date_from, date_to)
        keys = [key for key in wanted if key not in existing]
        missing = [Visit(company=company, kind=VisitKind.ROUTE, **wanted[key]) for key in keys]
        try:
            # A savepoint: a refused batch undoes this attempt's rows, not the transaction.
            with transaction.atomic():
                Visit.objects.bulk_create(missing, batch_size=BATCH_SIZE)
        except IntegrityError as exc:
            if not any(name in str(exc) for name in UNIQUE_PLAN_DATE):
                raise
            continue  # a concurrent run inserted some of them first
        if any(visit.pk is None for visit in missing):
            # MySQL returns no ids from a bulk insert: every row of these pairs is this run's.
            ids = _existing(ctx, date_from, date_to)
            for visit, key in zip(missing, keys, strict=True):
                visit.pk = ids[key]
        return missing
    raise Conflict(
        "Other scheduling runs kept inserting the same visits; try again",
        reason=OperationsErrorCode.SCHEDULING_CONTENDED,
    )


@transaction.atomic
def visits_schedule(
    ctx: Ctx, *, date_from: datetime.date, date_to: datetime.date
) -> dict[str, int]:
    """Create the route visits of every running plan of ctx's company that fall in
    date_from..date_to (both included): the plan's property and its customer, its technician
    and route position. A visit that exists already is left as it is. Answers {created,
    existing}; each created visit is in the audit trail."""
    errors = schedule_range_errors(ctx, date_from=date_from, date_to=date_to)
    if errors:
        raise InvalidInput(errors)
    plans_status_refresh(ctx)
    wanted = _wanted(ctx, date_from, date_to)
    created = _insert_missing(ctx, wanted, date_from, date_to)
    record_many(ctx, "create", ((visit, diff(None, snapshot(visit))) for visit in created))
    return {"created": len(created), "existing": len(wanted) - len(created)}
