"""Every write to service plans: the API, the admin and the commands call these.

A plan is `active`, `paused` (pause: from today, the company's date, through `until`; resume)
or `ended`. Ending is a date: `plan_end` sets `end_date` and the plan stays active (or paused)
until that day is past; `plans_status_refresh` then marks it `ended`, and also returns a
paused plan whose `paused_until` is past to `active`. Scheduling runs it before it reads the
plans, and the plans' API before it reads them, so neither ever sees a stale status; a day
with neither is caught up by the next. Any other move (resume an active plan, pause an ended
one) is 409 `invalid_transition`.
"""

import datetime
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, NotRequired, TypedDict, Unpack

from django.db import transaction
from django.db.models import Q, QuerySet

from audit.services import record_change, recorded_in_bulk, recording_delete
from core.context import Ctx
from core.errors import ApplicationError, Conflict, CoreErrorCode, FieldError, InvalidInput, refusal
from ektor.services import complete_fields, null_blanks, require_updatable, save_recorded
from operations.models import (
    BillingTiming,
    Chemicals,
    Frequency,
    PlanPause,
    PlanStatus,
    RateType,
    ServicePlan,
    Visit,
    VisitStatus,
)
from operations.recurrence import OUT_OF_RANGE, out_of_range
from operations.visits import visit_cancel
from pools.selectors import pool_get
from tenancy.models import Membership, Role
from tenancy.scoping import company_of


class PlanFields(TypedDict):
    pool_id: int
    weekday: int
    start_date: datetime.date
    rate: Decimal
    technician_id: NotRequired[int | None]
    frequency: NotRequired[str]
    end_date: NotRequired[datetime.date | None]
    rate_type: NotRequired[str]
    chemicals: NotRequired[str]
    billing_timing: NotRequired[str]
    route_position: NotRequired[int]
    notes: NotRequired[str | None]


PLAN_DEFAULTS: dict[str, Any] = {
    "technician_id": None,
    "frequency": Frequency.WEEKLY,
    "end_date": None,
    "rate_type": RateType.PER_MONTH,
    "chemicals": Chemicals.INCLUDED,
    "billing_timing": BillingTiming.ADVANCE,
    "route_position": 0,
    "notes": None,
}
# A plan serves one pool for good (its visits and invoices say so): another pool is another
# plan. The status moves only by the actions below.
UPDATABLE_FIELDS = frozenset(set(PlanFields.__annotations__) - {"pool_id"})
CHOICES = {
    "frequency": Frequency.values,
    "rate_type": RateType.values,
    "chemicals": Chemicals.values,
    "billing_timing": BillingTiming.values,
}


# Why a plan's visits were called off (a resume brings back the pause's).
PAUSED = "The service plan is paused"
ENDED_REASON = "The service plan has ended"


def plan_field_errors(ctx: Ctx, data: Mapping[str, Any]) -> list[FieldError]:
    """The rules of a plan's own values (`data`: the fields given, over the plan's current
    ones for the end date's check): a weekday 0..6, a rate of at least 0, the choices there
    are, an end on or after the start."""
    errors = []
    weekday = data.get("weekday")
    if "weekday" in data and (not isinstance(weekday, int) or not 0 <= weekday <= 6):
        errors.append(
            FieldError(
                "weekday", "Ensure this value is between 0 (Monday) and 6 (Sunday).", "range"
            )
        )
    if "rate" in data and (data["rate"] is None or Decimal(data["rate"]) < 0):
        errors.append(
            FieldError("rate", "Ensure this value is greater than or equal to 0.", "range")
        )
    errors += [
        FieldError(
            field, f"{data[field]!r} is not a valid choice: one of {', '.join(allowed)}", "enum"
        )
        for field, allowed in CHOICES.items()
        if field in data and data[field] not in allowed
    ]
    start, end = data.get("start_date"), data.get("end_date")
    errors += [
        FieldError(field, OUT_OF_RANGE, "range")
        for field in ("start_date", "end_date")
        if out_of_range(data.get(field))
    ]
    if start is not None and end is not None and end < start:
        errors.append(
            FieldError("end_date", f"The end date {end} is before the start date {start}", "range")
        )
    return errors


def plan_technician_check(ctx: Ctx, *, technician_id: int) -> None:
    """A plan's technician is an active member of ctx's company in the technician role (422
    on technician_id otherwise; another company's user is simply not one)."""
    if not (
        Membership.objects.of(ctx)
        .filter(user_id=technician_id, role=Role.TECHNICIAN, user__is_active=True)
        .exists()
    ):
        raise InvalidInput(
            [
                FieldError(
                    "technician_id",
                    f"User {technician_id} is not an active technician of this company",
                    "not_a_technician",
                )
            ]
        )


def _plan_save(ctx: Ctx, plan: ServicePlan, data: Mapping[str, Any]) -> ServicePlan:
    dates = {
        "start_date": data.get("start_date", plan.start_date),
        "end_date": data.get("end_date", plan.end_date),
    }
    errors = plan_field_errors(ctx, {**data, **dates})
    if errors:
        raise InvalidInput(errors)
    if plan.status == PlanStatus.ENDED and "end_date" in data and data["end_date"] != plan.end_date:
        raise _transition_refused(plan, "move the end of", PlanStatus.ENDED)
    data = null_blanks(data, {"notes": None})
    if data.get("technician_id") is not None:
        plan_technician_check(ctx, technician_id=data["technician_id"])
    if "pool_id" in data:
        # The instance's pool (with its property) once found: the output needs no query.
        data = {**data, "pool": pool_get(ctx, pool_id=data["pool_id"])}
        del data["pool_id"]
    before = None if plan.pk is None else {n: getattr(plan, n) for n in (*FOLLOWED, *RESCHEDULED)}
    plan = save_recorded(ctx, plan, data)
    if before is not None:
        _visits_follow(ctx, plan, before)
    return plan


# What a plan's scheduled visits take from it, and what decides their dates.
FOLLOWED = ("technician_id", "route_position")
RESCHEDULED = ("frequency", "weekday", "start_date", "end_date")


def _visits_follow(ctx: Ctx, plan: ServicePlan, before: Mapping[str, Any]) -> None:
    """A changed plan's visits still to come (scheduled, from today): they take its new
    technician and route position; when its dates' rule changed they are removed (nothing was
    recorded on them) and the next scheduling makes the new ones. Each change is audited."""
    due = Visit.objects.of(ctx).filter(
        plan=plan, status=VisitStatus.SCHEDULED, scheduled_date__gte=company_of(ctx).today()
    )
    if any(getattr(plan, name) != before[name] for name in RESCHEDULED):
        for visit in due:
            with recording_delete(ctx, visit):
                visit.delete()
        return
    changed = [name for name in FOLLOWED if getattr(plan, name) != before[name]]
    if changed:
        for visit in due:
            for name in changed:
                setattr(visit, name, getattr(plan, name))
            visit.save(update_fields=[*changed, "updated_at"])
            record_change(ctx, "update", visit)


@transaction.atomic
def plan_create(ctx: Ctx, **fields: Unpack[PlanFields]) -> ServicePlan:
    """A new plan, active from its start date."""
    return _plan_save(
        ctx,
        ServicePlan(company=company_of(ctx)),
        complete_fields(fields, PlanFields, PLAN_DEFAULTS),
    )


@transaction.atomic
def plan_update(ctx: Ctx, *, plan: ServicePlan, data: Mapping[str, Any]) -> ServicePlan:
    """Partial update (PATCH): only the given fields change; the pool and the status do not
    (422 `extra_forbidden` / the actions)."""
    require_updatable(data, UPDATABLE_FIELDS)
    return _plan_save(ctx, _locked(ctx, plan), data)


def _locked(ctx: Ctx, plan: ServicePlan) -> ServicePlan:
    """The plan re-read under a row lock (its status decides what may happen), keeping the
    pool and property the caller read with it."""
    locked = ServicePlan.objects.of(ctx).select_for_update().get(pk=plan.pk)
    locked.pool = plan.pool
    return locked


def _transition_refused(plan: ServicePlan, action: str, target: str) -> Conflict:
    return Conflict(
        f"Service plan {plan.pk} is {plan.status}: it cannot {action} it ({plan.status} to "
        f"{target})",
        reason=CoreErrorCode.INVALID_TRANSITION,
        extra={"from": plan.status, "to": target},
    )


# Where each action may start from, and where it leads.
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "pause": ((PlanStatus.ACTIVE,), PlanStatus.PAUSED),
    "resume": ((PlanStatus.PAUSED,), PlanStatus.ACTIVE),
    "end": ((PlanStatus.ACTIVE, PlanStatus.PAUSED), PlanStatus.ENDED),
}


def _check_transition(plan: ServicePlan, action: str) -> None:
    sources, target = TRANSITIONS[action]
    if plan.status not in sources:
        raise _transition_refused(plan, action, target)


def can_plan_transition(ctx: Ctx, *, plan: ServicePlan, action: str) -> ApplicationError | None:
    """Why `action` (pause, resume, end) would refuse the plan as it stands (None: it may)."""
    return refusal(lambda: _check_transition(plan, action))


def _close_pause(plan: ServicePlan, last_day: datetime.date) -> None:
    """The plan's open pause (or one reaching past `last_day`) ends on `last_day`; one that
    starts after it never happened, so it goes."""
    for pause in plan.pauses.filter(Q(ends_on__isnull=True) | Q(ends_on__gt=last_day)):
        if pause.starts_on > last_day:
            pause.delete()
        else:
            pause.ends_on = last_day
            pause.save(update_fields=["ends_on"])


@transaction.atomic
def plan_pause(ctx: Ctx, *, plan: ServicePlan, until: datetime.date | None = None) -> ServicePlan:
    """Pause an active plan from today (the company's date) through `until` inclusive (None:
    until resumed). Scheduling skips those days."""
    plan = _locked(ctx, plan)
    _check_transition(plan, "pause")
    today = company_of(ctx).today()
    if out_of_range(until):
        raise InvalidInput([FieldError("until", OUT_OF_RANGE, "range")])
    if until is not None and until < today:
        raise InvalidInput(
            [FieldError("until", f"until ({until}) is before today ({today})", "range")]
        )
    PlanPause.objects.create(company=company_of(ctx), plan=plan, starts_on=today, ends_on=until)
    plan.status, plan.paused_until = PlanStatus.PAUSED, until
    plan.save(update_fields=["status", "paused_until", "updated_at"])
    record_change(ctx, "pause", plan)
    _cancel_scheduled(ctx, plan, first=today, last=until, reason=PAUSED)
    return plan


@transaction.atomic
def plan_resume(ctx: Ctx, *, plan: ServicePlan) -> ServicePlan:
    """Resume a paused plan: its pause ends yesterday (a pause that starts today never
    happened), and it is served again from today."""
    plan = _locked(ctx, plan)
    _check_transition(plan, "resume")
    today = company_of(ctx).today()
    _close_pause(plan, today - datetime.timedelta(days=1))
    plan.status, plan.paused_until = PlanStatus.ACTIVE, None
    plan.save(update_fields=["status", "paused_until", "updated_at"])
    record_change(ctx, "resume", plan)
    # The visits the pause called off from today on are the plan's again (scheduling would
    # not make them anew: their dates are taken).
    for visit in Visit.objects.of(ctx).filter(
        plan=plan,
        status=VisitStatus.CANCELLED,
        cancel_reason=PAUSED,
        scheduled_date__gte=today,
    ):
        visit.status, visit.cancel_reason = VisitStatus.SCHEDULED, None
        visit.save(update_fields=["status", "cancel_reason", "updated_at"])
        record_change(ctx, "reschedule", visit)
    return plan


@transaction.atomic
def plan_end(ctx: Ctx, *, plan: ServicePlan, end_date: datetime.date) -> ServicePlan:
    """The plan's last day is `end_date`: it keeps its status until that day is past (then it
    is ended at once when the date is already past)."""
    plan = _locked(ctx, plan)
    _check_transition(plan, "end")
    errors = plan_field_errors(ctx, {"start_date": plan.start_date, "end_date": end_date})
    if errors:
        raise InvalidInput(errors)
    plan.end_date = end_date
    today = company_of(ctx).today()
    if end_date < today:
        _end(plan, end_date)
    plan.save(update_fields=["end_date", "status", "paused_until", "updated_at"])
    record_change(ctx, "end", plan)
    _cancel_scheduled(
        ctx,
        plan,
        first=end_date + datetime.timedelta(days=1),
        last=None,
        reason=ENDED_REASON,
    )
    return plan


def _cancel_scheduled(
    ctx: Ctx,
    plan: ServicePlan,
    *,
    first: datetime.date,
    last: datetime.date | None,
    reason: str,
) -> None:
    """The plan's visits still to come in the days it no longer serves (first..last, None: on
    and on) are cancelled with `reason`, each through visit_cancel and in the trail; visits
    under way or done stay as they are."""
    due = Visit.objects.of(ctx).filter(
        plan=plan, status=VisitStatus.SCHEDULED, scheduled_date__gte=first
    )
    if last is not None:
        due = due.filter(scheduled_date__lte=last)
    for visit in due.order_by("scheduled_date", "id"):
        visit_cancel(ctx, visit=visit, reason=reason)


def _end(plan: ServicePlan, end_date: datetime.date) -> None:
    # A pause that reaches past the end closes with the plan.
    _close_pause(plan, end_date)
    plan.status, plan.paused_until = PlanStatus.ENDED, None


def plans_status_refresh(ctx: Ctx, *, today: datetime.date | None = None) -> int:
    """Bring the company's plans' statuses up to `today` (the company's date by default): a
    plan whose end date is past is ended; a paused one whose `paused_until` is past is active
    again. Returns how many changed; each change is in the audit trail. With nothing to
    change (most reads) it is one query, without a transaction."""
    today = today or company_of(ctx).today()
    stale = ServicePlan.objects.of(ctx).filter(
        Q(end_date__lt=today, status__in=(PlanStatus.ACTIVE, PlanStatus.PAUSED))
        | Q(status=PlanStatus.PAUSED, paused_until__lt=today)
    )
    if not stale.exists():
        return 0
    return _refresh(ctx, stale, today)


@transaction.atomic
def _refresh(ctx: Ctx, stale: QuerySet[ServicePlan], today: datetime.date) -> int:
    plans = list(
        stale.select_for_update().only("id", "status", "paused_until", "end_date", "company_id")
    )
    with recorded_in_bulk(ctx):
        for plan in plans:
            if plan.end_date is not None and plan.end_date < today:
                _end(plan, plan.end_date)
            else:
                plan.status, plan.paused_until = PlanStatus.ACTIVE, None
            plan.save(update_fields=["status", "paused_until", "updated_at"])
            record_change(ctx, "update", plan)
    return len(plans)
