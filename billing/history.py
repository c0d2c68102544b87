"""The service history of a property or a customer: their visits, newest first, each with what
was done and the invoice lines that billed it (a visit's own lines and per-visit fee, or the
month of its per-month plan)."""

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Prefetch, Q

from billing.models import InvoiceLine
from core.context import Ctx
from operations.models import Visit, VisitLine, VisitStatus
from operations.selectors import visit_list

# How many visits the pages show (the visit list, filtered on the property or customer, has
# them all).
HISTORY_VISITS = 20


@dataclass(frozen=True)
class HistoryEntry:
    visit: Visit
    # The checklist's tasks done, then the visit's lines ("2.5 x Liquid chlorine").
    done: Sequence[str]
    # The invoice lines that billed the visit, each with its `invoice` read.
    billed: Sequence[InvoiceLine]


def _first_of_month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def service_history(
    ctx: Ctx,
    *,
    property_id: int | None = None,
    customer_id: int | None = None,
    limit: int = HISTORY_VISITS,
) -> list[HistoryEntry]:
    """The last `limit` visits of a property (or of a customer, at any of their properties),
    newest first. Three queries whatever the number of visits, lines and invoices: the visits
    (with their technician and property), their lines, and the invoice lines that billed them
    (with their invoices)."""
    visits = visit_list(ctx).select_related("technician", "property")
    if property_id is not None:
        visits = visits.filter(property_id=property_id)
    if customer_id is not None:
        visits = visits.filter(customer_id=customer_id)
    rows = list(
        visits.prefetch_related(
            Prefetch("lines", VisitLine.objects.of(ctx).order_by("id"), to_attr="line_list")
        ).order_by("-scheduled_date", "-id")[:limit]
    )
    if not rows:
        return []
    months = {
        (visit.plan_id, _first_of_month(visit.scheduled_date)) for visit in rows if visit.plan_id
    }
    plan_months = Q()
    for plan_id, month in months:
        plan_months |= Q(plan_id=plan_id, plan_period=month)
    lines = InvoiceLine.objects.of(ctx).select_related("invoice").order_by("id")
    billed_by_visit: dict[int, list[InvoiceLine]] = defaultdict(list)
    billed_by_month: dict[tuple[int, datetime.date], list[InvoiceLine]] = defaultdict(list)
    for line in lines.filter(Q(visit_id__in=[visit.pk for visit in rows]) | plan_months):
        if line.plan_period is not None and line.plan_id is not None:
            billed_by_month[(line.plan_id, line.plan_period)].append(line)
        else:
            billed_by_visit[line.visit_id or 0].append(line)
    entries = []
    for visit in rows:
        # A per-month plan's fee covers the month's visits that were made, not the skipped ones.
        month_lines = (
            billed_by_month[(visit.plan_id, _first_of_month(visit.scheduled_date))]
            if visit.plan_id and visit.status == VisitStatus.COMPLETED
            else []
        )
        done = [
            str(task.get("task"))
            for task in visit.checklist
            if isinstance(task, dict) and task.get("done")
        ]
        done += [f"{line.quantity.normalize():f} x {line.description}" for line in visit.line_list]
        entries.append(
            HistoryEntry(visit=visit, done=done, billed=[*billed_by_visit[visit.pk], *month_lines])
        )
    return entries
