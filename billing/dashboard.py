"""The figures the admin index opens on, in a fixed handful of queries (five), none of which reads
the invoice or payment tables whole: the open and overdue figures are summed from the running
figures (ReceivablesByDueDate: a row per due date of sent invoices, kept by billing.services), the
drafts (few) counted from the invoices through the (status, due_date) index, the month's
payments (reversed ones left out) from the (paid_date, reversed_at, amount) index, and the
most overdue invoices walk the (status, due_date) index."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q, Sum, Value
from django.db.models.functions import Coalesce

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
