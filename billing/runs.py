"""What a billing run bills for a month (the contract's rules), read in a fixed number of
queries whatever the number of plans; billing.services.billing_run writes it.

The rules, for the company's plans that overlap the month and its completed visits:

- A per-month plan gets one `plan` line of its rate for the month. In arrears it is billed only
  by a run issued after the month ended (before: skipped, `period_not_ended`). A plan that
  starts, ends (its end date) or is paused (its PlanPause spans) within the month is prorated
  by calendar days: rate x days served / days in the month, half-up to the cent, the days named
  in the line's description. A month with no day served bills nothing (`plan_paused`).
- A per-visit plan gets one `plan` line of its rate per completed visit of the month; a skipped,
  cancelled or not yet completed visit bills nothing and is listed (`visit_skipped`,
  `visit_cancelled`, `visit_not_completed`: a later run of the month bills it once completed).
- A completed visit's lines: chemicals only on a plan whose chemicals are billed; services,
  parts and products always; a work order's lines all, also a work order of an earlier month
  not billed yet. Each at the price and taxability it had on the visit.
- Tax: the company's rate on taxable items; plan fees and services only when the company taxes
  services (billing.lines.line_tax_rate).
- Something already billed (a plan's month, a visit's fee, a visit's line: the unique keys of
  InvoiceLine) is listed as `already_billed` and billed never again.
"""

import calendar
import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Q

from billing.lines import ITEM_LINE_KIND, cents, line_amounts, line_tax_rate
from billing.models import InvoiceLine, LineKind
from core.context import Ctx
from operations.models import (
    BillingTiming,
    Chemicals,
    Frequency,
    PlanPause,
    RateType,
    ServicePlan,
    VisitKind,
    VisitLine,
    VisitStatus,
)
from operations.models import Visit as VisitModel
from tenancy.scoping import company_of


class SkipReason:
    ALREADY_BILLED = "already_billed"
    PERIOD_NOT_ENDED = "period_not_ended"
    PLAN_PAUSED = "plan_paused"
    VISIT_CANCELLED = "visit_cancelled"
    VISIT_NOT_COMPLETED = "visit_not_completed"
    VISIT_SKIPPED = "visit_skipped"


VISIT_SKIPS: dict[str, str] = {
    VisitStatus.SKIPPED: SkipReason.VISIT_SKIPPED,
    VisitStatus.CANCELLED: SkipReason.VISIT_CANCELLED,
    VisitStatus.SCHEDULED: SkipReason.VISIT_NOT_COMPLETED,
    VisitStatus.IN_PROGRESS: SkipReason.VISIT_NOT_COMPLETED,
}
FREQUENCY_NAMES = dict(Frequency.choices)


def month_of(period: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first and last day of `period`'s month."""
    first = period.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


@dataclass
class Billable:
    """One line a run would write, with whom it bills and what it bills once."""

    property_id: int
    customer_id: int
    kind: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    amount: Decimal
    tax: Decimal
    item_id: int | None = None
    visit_id: int | None = None
    plan_id: int | None = None
    plan_period: datetime.date | None = None
    fee_visit_id: int | None = None
    visit_line_id: int | None = None

    @property
    def skip_key(self) -> dict[str, int]:
        """How the run's `skipped` names it once it is found billed already."""
        if self.plan_period is not None and self.plan_id is not None:
            return {"plan_id": self.plan_id}
        return {"visit_id": self.visit_id or 0}


@dataclass
class Billing:
    """What a run bills: its lines (in the order found) and what it leaves, with why."""

    first: datetime.date
    last: datetime.date
    lines: list[Billable] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)

    def skip(self, reason: str, **key: int) -> None:
        entry = {**key, "reason": reason}
        if entry not in self.skipped:
            self.skipped.append(entry)


def _days(start: datetime.date, end: datetime.date) -> set[datetime.date]:
    return {start + datetime.timedelta(n) for n in range((end - start).days + 1)}


class _Pricer:
    """The company's tax for a line of a kind."""

    def __init__(self, ctx: Ctx) -> None:
        company = company_of(ctx)
        self.rate = company.tax_rate
        self.tax_services = company.tax_services

    def priced(
        self, *, kind: str, quantity: Decimal, unit_price: Decimal, taxable: bool
    ) -> dict[str, Any]:
        rate = line_tax_rate(
            kind=kind, taxable=taxable, company_rate=self.rate, tax_services=self.tax_services
        )
        amount, tax = line_amounts(quantity, unit_price, rate)
        return {
            "kind": kind,
            "quantity": quantity,
            "unit_price": unit_price,
            "tax_rate": rate,
            "amount": amount,
            "tax": tax,
        }


def billing_plan(ctx: Ctx, *, period: datetime.date, issued_date: datetime.date) -> Billing:
    """What a run of `period`'s month issued on `issued_date` bills (nothing written)."""
    first, last = month_of(period)
    billing = Billing(first, last)
    pricer = _Pricer(ctx)
    plans = _plans(ctx, first, last)
    paused = _paused_days(ctx, first, last)
    billed_months = set(
        InvoiceLine.objects.of(ctx).filter(plan_period=first).values_list("plan_id", flat=True)
    )
    for plan in plans:
        if plan["rate_type"] == RateType.PER_MONTH:
            _per_month(
                billing, pricer, plan, paused.get(plan["id"], set()), billed_months, issued_date
            )
    _per_visit_fees(ctx, billing, pricer)
    _visit_lines(ctx, billing, pricer)
    return billing


def _plans(ctx: Ctx, first: datetime.date, last: datetime.date) -> list[dict[str, Any]]:
    """The plans that serve some day of the month (started by its end, not ended before it),
    in id order."""
    rows = (
        ServicePlan.objects.of(ctx)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=first), start_date__lte=last)
        .order_by("id")
        .values(
            "id",
            "rate_type",
            "rate",
            "billing_timing",
            "frequency",
            "start_date",
            "end_date",
            "pool__name",
            "pool__property_id",
            "pool__property__customer_id",
        )
    )
    return [dict(row) for row in rows]


def _paused_days(
    ctx: Ctx, first: datetime.date, last: datetime.date
) -> dict[int, set[datetime.date]]:
    """Each plan's paused days within the month."""
    paused: dict[int, set[datetime.date]] = {}
    spans = (
        PlanPause.objects.of(ctx)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=first), starts_on__lte=last)
        .values_list("plan_id", "starts_on", "ends_on")
    )
    for plan_id, starts_on, ends_on in spans:
        span = _days(max(starts_on, first), min(ends_on or last, last))
        paused.setdefault(plan_id, set()).update(span)
    return paused


def _per_month(
    billing: Billing,
    pricer: _Pricer,
    plan: dict[str, Any],
    paused: set[datetime.date],
    billed_months: set[int],
    issued_date: datetime.date,
) -> None:
    first, last = billing.first, billing.last
    if plan["billing_timing"] == BillingTiming.ARREARS and issued_date <= last:
        billing.skip(SkipReason.PERIOD_NOT_ENDED, plan_id=plan["id"])
        return
    served = _days(max(plan["start_date"], first), min(plan["end_date"] or last, last)) - paused
    if not served:
        billing.skip(SkipReason.PLAN_PAUSED, plan_id=plan["id"])
        return
    if plan["id"] in billed_months:
        billing.skip(SkipReason.ALREADY_BILLED, plan_id=plan["id"])
        return
    month_days = last.day
    name = f"{FREQUENCY_NAMES[plan['frequency']]} service of {plan['pool__name']}, {first:%B %Y}"
    price = plan["rate"]
    if len(served) < month_days:
        price = cents(plan["rate"] * len(served) / month_days)
        name += f" ({len(served)} of {month_days} days: {_spans(served)})"
    billing.lines.append(
        Billable(
            property_id=plan["pool__property_id"],
            customer_id=plan["pool__property__customer_id"],
            description=name,
            plan_id=plan["id"],
            plan_period=first,
            **pricer.priced(
                kind=LineKind.PLAN, quantity=Decimal(1), unit_price=price, taxable=True
            ),
        )
    )


def _spans(days: Iterable[datetime.date]) -> str:
    """Days as their runs: "1-11, 20-30 Nov"."""
    ordered = sorted(days)
    runs: list[list[datetime.date]] = []
    for day in ordered:
        if runs and (day - runs[-1][-1]).days == 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    text = ", ".join(f"{r[0].day}" if len(r) == 1 else f"{r[0].day}-{r[-1].day}" for r in runs)
    return f"{text} {ordered[0]:%b}"


def _per_visit_fees(ctx: Ctx, billing: Billing, pricer: _Pricer) -> None:
    """A fee per completed visit of a per-visit plan in the month; the others listed."""
    billed = InvoiceLine.objects.of(ctx).filter(fee_visit=OuterRef("pk"))
    visits = (
        VisitModel.objects.of(ctx)
        .filter(
            scheduled_date__range=(billing.first, billing.last),
            kind=VisitKind.ROUTE,
            plan__rate_type=RateType.PER_VISIT,
        )
        .order_by("id")
        .values(
            "id",
            "status",
            "scheduled_date",
            "property_id",
            "customer_id",
            "plan_id",
            "plan__rate",
            "plan__frequency",
            "plan__pool__name",
        )
        .annotate(billed=Exists(billed))
    )
    for visit in visits:
        if visit["status"] != VisitStatus.COMPLETED:
            billing.skip(VISIT_SKIPS[visit["status"]], visit_id=visit["id"])
            continue
        if visit["billed"]:
            billing.skip(SkipReason.ALREADY_BILLED, visit_id=visit["id"])
            continue
        billing.lines.append(
            Billable(
                property_id=visit["property_id"],
                customer_id=visit["customer_id"],
                description=(
                    f"Service of {visit['plan__pool__name']}, visit of "
                    f"{visit['scheduled_date']:%-d %b %Y}"
                ),
                visit_id=visit["id"],
                plan_id=visit["plan_id"],
                fee_visit_id=visit["id"],
                **pricer.priced(
                    kind=LineKind.PLAN,
                    quantity=Decimal(1),
                    unit_price=visit["plan__rate"],
                    taxable=True,
                ),
            )
        )


def _visit_lines(ctx: Ctx, billing: Billing, pricer: _Pricer) -> None:
    """The lines of the month's completed visits (and of earlier work orders not billed)."""
    billed = InvoiceLine.objects.of(ctx).filter(visit_line=OuterRef("pk"))
    month = Q(visit__scheduled_date__range=(billing.first, billing.last))
    earlier_work = Q(
        visit__kind=VisitKind.WORK_ORDER, visit__scheduled_date__lt=billing.first
    ) & ~Exists(billed)
    lines = (
        VisitLine.objects.of(ctx)
        .filter(month | earlier_work, visit__status=VisitStatus.COMPLETED)
        .order_by("visit_id", "id")
        .values(
            "id",
            "visit_id",
            "visit__kind",
            "visit__plan_id",
            "visit__plan__chemicals",
            "visit__property_id",
            "visit__customer_id",
            "item_id",
            "item__kind",
            "description",
            "quantity",
            "unit_price",
            "taxable",
        )
        .annotate(billed=Exists(billed))
    )
    for row in lines:
        kind = ITEM_LINE_KIND[row["item__kind"]]
        work_order = row["visit__kind"] == VisitKind.WORK_ORDER
        if (
            kind == LineKind.CHEMICAL
            and not work_order
            and row["visit__plan__chemicals"] != Chemicals.BILLED
        ):
            continue  # included in the plan's rate
        if row["billed"]:
            billing.skip(SkipReason.ALREADY_BILLED, visit_id=row["visit_id"])
            continue
        billing.lines.append(
            Billable(
                property_id=row["visit__property_id"],
                customer_id=row["visit__customer_id"],
                description=row["description"],
                item_id=row["item_id"],
                visit_id=row["visit_id"],
                plan_id=row["visit__plan_id"],
                visit_line_id=row["id"],
                **pricer.priced(
                    kind=kind,
                    quantity=row["quantity"],
                    unit_price=row["unit_price"],
                    taxable=bool(row["taxable"]),
                ),
            )
        )


def billed_already(ctx: Ctx, lines: list[Billable], first: datetime.date) -> set[int]:
    """The indexes of `lines` whose source some invoice line bills by now (read again under
    the properties' locks: a run that went first has committed them)."""
    plans = {line.plan_id for line in lines if line.plan_period is not None}
    fees = {line.fee_visit_id for line in lines if line.fee_visit_id is not None}
    visit_lines = {line.visit_line_id for line in lines if line.visit_line_id is not None}
    scope = InvoiceLine.objects.of(ctx)
    taken_plans = set(
        scope.filter(plan_period=first, plan_id__in=plans).values_list("plan_id", flat=True)
    )
    taken_fees = set(scope.filter(fee_visit_id__in=fees).values_list("fee_visit_id", flat=True))
    taken_lines = set(
        scope.filter(visit_line_id__in=visit_lines).values_list("visit_line_id", flat=True)
    )
    return {
        index
        for index, line in enumerate(lines)
        if (line.plan_period is not None and line.plan_id in taken_plans)
        or line.fee_visit_id in taken_fees
        or line.visit_line_id in taken_lines
    }
