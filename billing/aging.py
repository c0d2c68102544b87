"""Aging of what customers owe as of a day: the company's sent invoices with a balance on that
day, by how many days past due they were then, per customer and in all.

What counts on the day D (the books as they stand now, restated as of D, as the statement does):
- an invoice issued on or before D, neither a draft nor void now. A void invoice never counts,
  even on a day before it was voided: voiding says it was never owed (it is refused once a
  counted payment is on it). A draft issued before D and sent later counts from its issued date.
- its balance on D: its total less its counted payments paid on or before D and its credit
  applications applied on or before D. A reversed payment counts on no day, even on a day
  before it was reversed (it was wrong); an invoice paid after D is owed on D.
- days past due = D - due date; not yet due (0 days or fewer) or without a due date: current.

Balances only fall as days pass, so an invoice owes something on D exactly when it is issued by
D and not settled by D (Invoice.settled_on, kept by billing.settlement): one query reads only
those invoices through billing_invoice_open_on and sums their balances per customer and bucket
in the database, looking their payments and credit applications up only when something was
received on them by D (Invoice.first_received_on). The buckets are summed from the customers'
rows, so they add up to the total to the cent."""

import datetime
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Case, F, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce

from billing.models import (
    COUNTED,
    MONEY,
    CreditApplication,
    Invoice,
    InvoiceStatus,
    Payment,
    money_sum,
)
from core.context import Ctx
from core.money import ZERO
from customers.models import full_name

BUCKETS = ("current", "1_30", "31_60", "61_90", "over_90")
# The most days past due of each bucket but the last (current: not yet due).
BUCKET_ENDS = (0, 30, 60, 90)


@dataclass(frozen=True)
class Aging:
    as_of: datetime.date
    # An amount per bucket (BUCKETS), 0.00 where nothing is owed.
    totals: Mapping[str, Decimal]
    total: Decimal
    # A row per customer who owes something, by last name, first name, then id: customer_id,
    # name, an amount per bucket and their total.
    customers: list[dict[str, Any]]
    buckets: list[str] = field(default_factory=lambda: list(BUCKETS))


def bucket_of(as_of: datetime.date, due_date: datetime.date | None) -> str:
    """The bucket of an invoice due on `due_date`, as of `as_of` (what the query computes)."""
    days = 0 if due_date is None else (as_of - due_date).days
    for bucket, end in zip(BUCKETS, BUCKET_ENDS, strict=False):
        if days <= end:
            return bucket
    return BUCKETS[-1]


def _bucket_case(as_of: datetime.date) -> Case:
    """The bucket's index in BUCKETS, from the due date: due on or after as_of - end days."""
    whens = [When(due_date__isnull=True, then=Value(0))]
    whens += [
        When(due_date__gte=as_of - datetime.timedelta(days=end), then=Value(index))
        for index, end in enumerate(BUCKET_ENDS)
    ]
    return Case(*whens, default=Value(len(BUCKET_ENDS)), output_field=IntegerField())


def open_on(ctx: Ctx, as_of: datetime.date):
    """The company's invoices that owe something on `as_of` (see the module's docstring)."""
    return Invoice.objects.of(ctx).filter(
        Q(settled_on__isnull=True) | Q(settled_on__gt=as_of),
        status__in=(InvoiceStatus.SENT, InvoiceStatus.PAID),
        issued_date__lte=as_of,
    )


def _received_by(ctx: Ctx, model, day_field: str, as_of: datetime.date, *filters: Q):
    rows = model.objects.of(ctx).filter(
        *filters, invoice=OuterRef("pk"), **{f"{day_field}__lte": as_of}
    )
    summed = rows.order_by().values("invoice").annotate(amount=money_sum("amount"))
    return Coalesce(Subquery(summed.values("amount")), Value(ZERO), output_field=MONEY)


def balances_on(ctx: Ctx, as_of: datetime.date):
    """open_on's invoices with `balance` (on as_of) and `bucket` (an index in BUCKETS)."""
    paid = _received_by(ctx, Payment, "paid_date", as_of, COUNTED)
    # Most invoices have no credit applied: their row says so without a lookup.
    credited = Case(
        When(amount_credited=ZERO, then=Value(ZERO)),
        default=_received_by(ctx, CreditApplication, "applied_date", as_of),
        output_field=MONEY,
    )
    # Until something is received on it, an invoice owes its total: no lookup either.
    nothing_received = Q(first_received_on__isnull=True) | Q(first_received_on__gt=as_of)
    return open_on(ctx, as_of).annotate(
        balance=Case(
            When(nothing_received, then=F("total")),
            default=F("total") - paid - credited,
            output_field=MONEY,
        ),
        bucket=_bucket_case(as_of),
    )


def aging(ctx: Ctx, *, as_of: datetime.date) -> Aging:
    """What the company's customers owe on `as_of`, by bucket (one query)."""
    rows = (
        balances_on(ctx, as_of)
        .order_by()
        .values("customer_id", "customer__last_name", "customer__first_name", "bucket")
        .annotate(amount=money_sum("balance"))
        .values_list(
            "customer_id", "customer__last_name", "customer__first_name", "bucket", "amount"
        )
    )
    amounts: dict[int, dict[str, Decimal]] = {}
    names: dict[int, tuple[str, str]] = {}
    for customer_id, last_name, first_name, bucket, amount in rows:
        if amount:
            names[customer_id] = (last_name, first_name)
            amounts.setdefault(customer_id, dict.fromkeys(BUCKETS, ZERO))[BUCKETS[bucket]] = amount
    customers = [
        {
            "customer_id": customer_id,
            "name": full_name(*reversed(names[customer_id])),
            **row,
            "total": sum(row.values(), ZERO),
        }
        for customer_id, row in sorted(amounts.items(), key=lambda item: (names[item[0]], item[0]))
    ]
    totals = {bucket: sum((c[bucket] for c in customers), ZERO) for bucket in BUCKETS}
    return Aging(
        as_of=as_of,
        totals=totals,
        total=sum(totals.values(), ZERO),
        customers=customers,
    )


CSV_COLUMNS = ("customer_id", "customer", *BUCKETS, "total")


def csv_rows(report: Aging, text: Callable[[str], Any] = str) -> Iterator[list[Any]]:
    """The report as spreadsheet rows (the admin's download, `aging_report --format csv`): the
    header, a row per customer, then the totals; `text` renders a customer's name (the admin
    neutralises spreadsheet formulas with it)."""
    yield list(CSV_COLUMNS)
    for row in report.customers:
        amounts = [row[bucket] for bucket in BUCKETS]
        yield [row["customer_id"], text(row["name"]), *amounts, row["total"]]
    yield ["", "Total", *(report.totals[bucket] for bucket in BUCKETS), report.total]
