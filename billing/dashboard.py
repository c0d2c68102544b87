"""The figures the admin index opens on, in a fixed handful of queries (five), none of which reads
the invoice or payment tables whole: the open and overdue figures are summed from the running
figures (ReceivablesByDueDate: a row per due date of sent invoices, kept by billing.services), the
drafts (few) counted from the invoices through the (status, due_date) index, the month's
payments (reversed ones left out) from the (company, paid_date, reversed_at, amount) index, and
the most overdue invoices walk the (status, due_date) index."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Count, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.urls import reverse
from django.utils.safestring import SafeString

from billing.aging import BUCKET_ENDS, BUCKETS, aging_totals
from billing.charts import Bar, Group, Series, bar_chart
from billing.models import (
    COUNTED,
    MONEY_SUM,
    Invoice,
    InvoiceStatus,
    Money,
    Payment,
    ReceivablesByDueDate,
    overdue_q,
)
from billing.selectors import invoice_queryset
from core.context import Ctx
from core.money import ZERO
from ektor.text import money

MOST_OVERDUE = 10


@dataclass(frozen=True)
class OfficeSummary:
    open_balance: Decimal
    open_count: int
    overdue_count: int
    overdue_balance: Decimal
    draft_count: int
    draft_total: Decimal
    month_payment_count: int
    month_payment_total: Decimal
    month_start: date
    # The longest overdue first, with their customer (the status+due_date index serves it).
    most_overdue: list[Invoice]


def _count(condition: Q) -> Coalesce:
    return Coalesce(Sum("invoice_count", filter=condition), Value(0))


def _money(field: str, condition: Q | None = None) -> Money:
    # Sums of many invoices or payments may pass a single amount's 12 digits.
    return Money(
        Coalesce(Sum(field, filter=condition), Value(ZERO), output_field=MONEY_SUM),
        output_field=MONEY_SUM,
    )


def office_summary(ctx: Ctx, *, today: date) -> OfficeSummary:
    sent = Q(status=InvoiceStatus.SENT)
    # Sent and past due, as overdue_q; invoices with no due date are NO_DUE_DATE.
    overdue = sent & Q(due_by__lt=today)
    figures = ReceivablesByDueDate.objects.of(ctx).aggregate(
        open_count=_count(sent),
        open_total=_money("total", sent),
        open_paid=_money("paid", sent),
        overdue_count=_count(overdue),
        overdue_total=_money("total", overdue),
        overdue_paid=_money("paid", overdue),
    )
    # Drafts are few (they are sent within days) and not in the running figures, so that no
    # draft edit locks a receivables row: counted here, a range of the (status, due_date) index.
    drafts = (
        Invoice.objects.of(ctx)
        .filter(status=InvoiceStatus.DRAFT)
        .aggregate(count=Count("id"), total=_money("total"))
    )
    month_start = today.replace(day=1)
    month = (
        Payment.objects.of(ctx)
        .filter(COUNTED, paid_date__range=(month_start, today))
        .aggregate(count=Count("id"), total=_money("amount"))
    )
    return OfficeSummary(
        open_balance=figures["open_total"] - figures["open_paid"],
        open_count=figures["open_count"],
        overdue_count=figures["overdue_count"],
        overdue_balance=figures["overdue_total"] - figures["overdue_paid"],
        draft_count=drafts["count"],
        draft_total=drafts["total"],
        month_payment_count=month["count"],
        month_payment_total=month["total"],
        month_start=month_start,
        most_overdue=list(
            invoice_queryset(ctx)
            .filter(overdue_q(today))
            # Prefetched, not joined: with a JOIN MariaDB sorted every open invoice first (7 s at
            # 1,000,000 invoices) instead of walking the index for ten.
            .prefetch_related("customer")
            .order_by("due_date", "id")[:MOST_OVERDUE]
        ),
    )


# --- the last twelve months' billed and collected amounts (a bar chart) ------------------------

MONTHS = 12
# Billed: what left draft and still stands (a void invoice billed nothing).
BILLED_STATUSES = (InvoiceStatus.SENT, InvoiceStatus.PAID)
MONTHS_SERIES = (
    Series("billed", "Billed", "#417690"),
    Series("collected", "Collected", "#5b9b5b"),
)


@dataclass(frozen=True)
class MonthFigures:
    month: date  # its first day
    billed: Decimal  # invoices sent or paid, issued in the month
    collected: Decimal  # payments dated in the month (reversed ones left out)


def _months(today: date) -> list[date]:
    """The first days of the MONTHS months up to `today`'s, oldest first."""
    firsts = [today.replace(day=1)]
    while len(firsts) < MONTHS:
        firsts.append((firsts[-1] - timedelta(days=1)).replace(day=1))
    return firsts[::-1]


def _next_month(first: date) -> date:
    return (first + timedelta(days=31)).replace(day=1)


def _by_month(queryset, field: str, amount: str, first: date, end: date) -> dict[date, Decimal]:
    rows = (
        queryset.filter(**{f"{field}__gte": first, f"{field}__lt": end})
        .annotate(month=TruncMonth(field))
        .order_by()  # no model ordering in the GROUP BY
        .values("month")
        .annotate(amount=_money(amount))
    )
    return {row["month"]: row["amount"] for row in rows}


def billed_and_collected(ctx: Ctx, *, today: date) -> list[MonthFigures]:
    """The last twelve months (through today's) billed and collected, oldest first: one grouped
    query over the invoices (the (company, issued_date, status, total) index's range) and one
    over the payments (the (company, paid_date, reversed_at, amount) index's), neither reading a
    row."""
    months = _months(today)
    span = (months[0], _next_month(months[-1]))
    invoices = Invoice.objects.of(ctx).filter(status__in=BILLED_STATUSES)
    billed = _by_month(invoices, "issued_date", "total", *span)
    payments = Payment.objects.of(ctx).filter(COUNTED)
    collected = _by_month(payments, "paid_date", "amount", *span)
    return [
        MonthFigures(month, billed.get(month, ZERO), collected.get(month, ZERO)) for month in months
    ]


def _month_link(changelist: str, field: str, month: date, **more: str) -> str:
    query = {
        **more,
        f"{field}__gte": month.isoformat(),
        f"{field}__lt": _next_month(month).isoformat(),
    }
    return f"{reverse(changelist)}?{urlencode(query)}"


def months_chart(months: list[MonthFigures]) -> SafeString:
    """The months as a bar chart: each bar links to the invoices issued (billed) or the payments
    dated (collected) in its month."""
    groups = [
        Group(
            # The year where it starts and turns, so twelve months across two years read right.
            f"{m.month:%b %Y}" if index == 0 or m.month.month == 1 else f"{m.month:%b}",
            (
                Bar(
                    "billed",
                    m.billed,
                    f"Billed in {m.month:%B %Y}: {money(m.billed)}",
                    _month_link(
                        "admin:billing_invoice_changelist", "issued_date", m.month, billed="yes"
                    ),
                ),
                Bar(
                    "collected",
                    m.collected,
                    f"Collected in {m.month:%B %Y}: {money(m.collected)}",
                    _month_link(
                        "admin:billing_payment_changelist", "paid_date", m.month, reversed="no"
                    ),
                ),
            ),
        )
        for index, m in enumerate(months)
    ]
    first, last = months[0].month, months[-1].month
    return bar_chart(
        groups,
        chart_id="office-months-chart",
        title=f"Billed and collected, {first:%B %Y} to {last:%B %Y}",
        series=MONTHS_SERIES,
        value_format=money,
    )


# --- what customers owe today, by days past due (a bar chart) ---------------------------------

AGING_SERIES = (Series("owed", "Owed", "#ba2121"),)
AGING_LABELS = {
    "current": "Not yet due",
    "1_30": "1-30 days",
    "31_60": "31-60 days",
    "61_90": "61-90 days",
    "over_90": "Over 90 days",
}


def _bucket_link(bucket: str, today: date) -> str:
    """The sent invoices of the bucket on `today` (a sent invoice is one with a balance)."""
    query = {"status__exact": InvoiceStatus.SENT}
    if bucket == BUCKETS[0]:
        query["overdue"] = "no"
    else:
        index = BUCKETS.index(bucket)
        query["due_date__lte"] = (today - timedelta(days=BUCKET_ENDS[index - 1] + 1)).isoformat()
        if index < len(BUCKET_ENDS):
            query["due_date__gte"] = (today - timedelta(days=BUCKET_ENDS[index])).isoformat()
    return f"{reverse('admin:billing_invoice_changelist')}?{urlencode(query)}"


def aging_chart(ctx: Ctx, *, today: date) -> SafeString:
    """The aging report's buckets as of `today` (billing.aging, one query): each bar links to
    the invoices in its bucket."""
    totals = aging_totals(ctx, as_of=today)
    groups = [
        Group(
            AGING_LABELS[bucket],
            (
                Bar(
                    "owed",
                    totals[bucket],
                    f"{AGING_LABELS[bucket]}: {money(totals[bucket])}",
                    _bucket_link(bucket, today),
                ),
            ),
        )
        for bucket in BUCKETS
    ]
    return bar_chart(
        groups,
        chart_id="office-aging-chart",
        title=f"What customers owe on {today:%B %-d, %Y}, by days past due",
        series=AGING_SERIES,
        value_format=money,
    )
