"""The figures the admin index opens on, in a fixed handful of queries (four), none of which reads
the invoice or payment tables whole: the open, overdue and draft figures are summed from the
running figures (InvoiceTally: a row per due date, kept by billing.services), the month's
payments from the (paid_date, amount) index, and the most overdue invoices walk the
(status, due_date) index."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q, Sum, Value
from django.db.models.functions import Coalesce

from billing.models import ZERO, Invoice, InvoiceStatus, InvoiceTally, Payment
from billing.selectors import MONEY, Money, invoice_queryset, money_sum, overdue_q

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


def _money(field: str, condition: Q) -> Money:
    return Money(Coalesce(Sum(field, filter=condition), Value(ZERO), output_field=MONEY))


def office_summary(*, today: date) -> OfficeSummary:
    sent = Q(status=InvoiceStatus.SENT)
    # Sent and past due, as overdue_q; drafts and invoices with no due date are NO_DUE_DATE.
    overdue = sent & Q(due_by__lt=today)
    draft = Q(status=InvoiceStatus.DRAFT)
    tally = InvoiceTally.objects.aggregate(
        open_count=_count(sent),
        open_total=_money("total", sent),
        open_paid=_money("paid", sent),
        overdue_count=_count(overdue),
        overdue_total=_money("total", overdue),
        overdue_paid=_money("paid", overdue),
        draft_count=_count(draft),
        draft_total=_money("total", draft),
    )
    month_start = today.replace(day=1)
    month = Payment.objects.filter(paid_date__range=(month_start, today)).aggregate(
        count=Count("id"), total=money_sum("amount")
    )
    return OfficeSummary(
        open_balance=tally["open_total"] - tally["open_paid"],
        open_count=tally["open_count"],
        overdue_count=tally["overdue_count"],
        overdue_balance=tally["overdue_total"] - tally["overdue_paid"],
        draft_count=tally["draft_count"],
        draft_total=tally["draft_total"],
        month_payment_count=month["count"],
        month_payment_total=month["total"],
        month_start=month_start,
        most_overdue=list(
            invoice_queryset()
            .filter(overdue_q(today))
            # Prefetched, not joined: with a JOIN MariaDB sorted every open invoice first (7 s at
            # 1,000,000 invoices) instead of walking the index for ten.
            .prefetch_related("customer")
            .order_by("due_date", "id")[:MOST_OVERDUE]
        ),
    )
