"""The operations figures the admin index opens on, in two queries: today's visits by how far
they got (the (company, scheduled_date, ...) route index) and this week's readings out of
range (the (company, created_at) index)."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q

from core.context import Ctx
from operations.models import Reading, Visit, VisitStatus
from tenancy.scoping import company_zone

# Still to do today: not yet completed, skipped or cancelled.
LEFT = (VisitStatus.SCHEDULED, VisitStatus.IN_PROGRESS)


def week_start(day: datetime.date) -> datetime.date:
    """The Monday of `day`'s week."""
    return day - datetime.timedelta(days=day.weekday())


def week_began_at(ctx: Ctx, today: datetime.date) -> datetime.datetime:
    """Midnight of this week's Monday in the company's time zone."""
    return datetime.datetime.combine(week_start(today), datetime.time(), tzinfo=company_zone(ctx))


def out_of_range_q() -> Q:
    """A reading with at least one flag (a value outside its range)."""
    return ~Q(flags=[])


@dataclass(frozen=True)
class VisitSummary:
    today: datetime.date
    done: int
    skipped: int
    left: int
    week_start: datetime.date
    out_of_range: int


def visit_summary(ctx: Ctx, *, today: datetime.date) -> VisitSummary:
    counts = (
        Visit.objects.of(ctx)
        .filter(scheduled_date=today)
        .aggregate(
            done=Count("id", filter=Q(status=VisitStatus.COMPLETED)),
            skipped=Count("id", filter=Q(status=VisitStatus.SKIPPED)),
            left=Count("id", filter=Q(status__in=LEFT)),
        )
    )
    flagged = (
        Reading.objects.of(ctx)
        .filter(out_of_range_q(), created_at__gte=week_began_at(ctx, today))
        .count()
    )
    return VisitSummary(
        today=today,
        done=counts["done"],
        skipped=counts["skipped"],
        left=counts["left"],
        week_start=week_start(today),
        out_of_range=flagged,
    )
