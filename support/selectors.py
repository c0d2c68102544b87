"""Reads of customer requests: the API's list, the office's queue, the response-time report."""

import datetime
import statistics
from dataclasses import dataclass

from django.db.models import (
    BooleanField,
    Case,
    Count,
    ExpressionWrapper,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)

from core.context import Ctx
from core.errors import NotFound
from customers.models import Customer
from support.error_codes import SupportErrorCode
from support.models import PENDING, CustomerRequest, RequestKind, RequestStatus, overdue_q
from tenancy.scoping import company_today, company_zone


def request_list(ctx: Ctx) -> QuerySet[CustomerRequest]:
    """The company's requests, newest first, with `is_overdue` (pending and past due in the
    company's today) computed by the database."""
    return (
        CustomerRequest.objects.of(ctx)
        .annotate(
            is_overdue=ExpressionWrapper(overdue_q(company_today(ctx)), output_field=BooleanField())
        )
        .order_by("-id")
    )


def request_queue(ctx: Ctx) -> QuerySet[CustomerRequest]:
    """The office's queue: the pending requests first, by deadline (the overdue ones have the
    earliest), then the answered and closed ones, newest deadline first."""
    return (
        request_list(ctx)
        .annotate(
            pending=Case(
                When(status__in=PENDING, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .order_by("-pending", "due_date", "id")
    )


def request_filter_overdue(
    ctx: Ctx, queryset: QuerySet[CustomerRequest], overdue: bool
) -> QuerySet[CustomerRequest]:
    condition = overdue_q(company_today(ctx))
    return queryset.filter(condition) if overdue else queryset.exclude(condition)


def request_get(ctx: Ctx, *, request_id: int) -> CustomerRequest:
    request = request_list(ctx).select_related("customer").filter(pk=request_id).first()
    if request is None:
        raise NotFound("Customer request", reason=SupportErrorCode.CUSTOMERREQUEST_NOT_FOUND)
    return request


def request_pending_of_customer(ctx: Ctx, *, customer: Customer) -> list[CustomerRequest]:
    """The customer's requests waiting for an answer, by deadline: the customer's related
    rows, so scoped by the customer row the caller read for its company."""
    pending = customer.requests.filter(status__in=PENDING)
    return list(pending.order_by("due_date", "id"))


@dataclass(frozen=True)
class RequestCounts:
    pending: int
    overdue: int


def request_counts(ctx: Ctx) -> RequestCounts:
    """The dashboard's figures: the requests waiting for an answer, and how many of them are
    past their deadline (one query over the queue's index)."""
    pending: QuerySet[CustomerRequest] = CustomerRequest.objects.of(ctx).filter(status__in=PENDING)
    figures = pending.aggregate(
        pending=Count("id"), overdue=Count("id", filter=Q(due_date__lt=company_today(ctx)))
    )
    return RequestCounts(pending=figures["pending"], overdue=figures["overdue"])


@dataclass(frozen=True)
class ResponseTimes:
    """The days from receipt to answer of the requests of one kind answered in one month."""

    month: datetime.date  # its first day
    kind: str
    answered: int
    median_days: float
    p90_days: float


def _percentile(values: list[float], fraction: float) -> float:
    """The `fraction` percentile of `values`, interpolated between the nearest ranks (as
    spreadsheets' PERCENTILE.INC); the median is fraction 0.5."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def response_times(
    ctx: Ctx, *, start: datetime.date | None = None, end: datetime.date | None = None
) -> list[ResponseTimes]:
    """Median and 90th percentile of the days to answer, per month of the answer (in the
    company's time zone) and kind, for the requests answered between `start` and `end`
    (inclusive). Days are fractional: an answer the same afternoon is 0.2 days."""
    zone = company_zone(ctx)
    answered = CustomerRequest.objects.of(ctx).filter(
        status__in=(RequestStatus.ANSWERED, RequestStatus.CLOSED)
    )
    # The calendar's first and last days bound nothing: in UTC their first moment, or the day
    # after the last, may be outside it (an OverflowError once bound).
    if start is not None and start > datetime.date.min:
        answered = answered.filter(
            answered_at__gte=datetime.datetime.combine(start, datetime.time(), zone)
        )
    if end is not None and end < datetime.date.max:
        answered = answered.filter(
            answered_at__lt=datetime.datetime.combine(
                end + datetime.timedelta(days=1), datetime.time(), zone
            )
        )
    groups: dict[tuple[datetime.date, str], list[float]] = {}
    rows = answered.order_by().values_list("kind", "received_at", "answered_at")
    for kind, received_at, answered_at in rows.iterator(chunk_size=2000):
        if answered_at is None:  # never for an answered request (a constraint)
            continue
        month = answered_at.astimezone(zone).date().replace(day=1)
        days = (answered_at - received_at).total_seconds() / 86400
        groups.setdefault((month, kind), []).append(days)
    order = {kind: index for index, kind in enumerate(RequestKind.values)}
    return [
        ResponseTimes(
            month=month,
            kind=kind,
            answered=len(days),
            median_days=round(statistics.median(days), 1),
            p90_days=round(_percentile(days, 0.9), 1),
        )
        for (month, kind), days in sorted(groups.items(), key=lambda g: (g[0][0], order[g[0][1]]))
    ]
