"""Every read of invoices, payments and statements that the API, the admin and the commands need."""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from billing.error_codes import BillingErrorCode
from billing.models import (
    COUNTED,
    MONEY,
    MONEY_SUM,
    NO_DUE_DATE,
    BillingRun,
    Credit,
    CreditApplication,
    Invoice,
    InvoiceLine,
    InvoiceReminder,
    InvoiceStatus,
    Money,
    Payment,
    ReceivablesByDueDate,
    overdue_q,
)
from core.context import Ctx
from core.errors import ApplicationError, NotFound
from core.money import CENT, ZERO
from customers.error_codes import CustomerErrorCode
from customers.models import Customer
from ektor.db.prepared import PreparedQuery
from tenancy.scoping import company_of


def _amount_paid() -> Money:
    paid = (
        Payment.objects.filter(COUNTED, invoice=OuterRef("pk"))
        .order_by()
        .values("invoice")
        .annotate(paid=Sum("amount"))
        .values("paid")
    )
    return Money(Coalesce(Subquery(paid, output_field=MONEY), Value(ZERO), output_field=MONEY))


# What an invoice's counted payments add up to, built once per process: an expression is a
# template that annotate() copies and resolves for each queryset, never changed or run itself,
# so nothing of one request is kept for the next. Building its subquery with the ORM on every
# request cost the invoice list about a millisecond (docs/performance.md).
AMOUNT_PAID = _amount_paid()


# An invoice's balance: total - amount_paid - amount_credited, and nothing for a void invoice
# (as models.balance_due), on top of invoice_list()'s amount_paid. A template, as AMOUNT_PAID.
BALANCE_DUE = Money(
    Case(
        When(status=InvoiceStatus.VOID, then=Value(ZERO)),
        default=ExpressionWrapper(
            F("total") - F("amount_paid") - F("amount_credited"), output_field=MONEY
        ),
        output_field=MONEY,
    )
)


def invoice_list(ctx: Ctx) -> QuerySet[Invoice]:
    """Invoices with `amount_paid` computed by the database: what the API's list reads (it
    computes balance_due from the row, see billing.models.balance_due). Every annotation costs
    the ORM CPU to build on each request, so the list asks only for this one."""
    return Invoice.objects.of(ctx).annotate(amount_paid=AMOUNT_PAID)


def invoice_amounts_queryset(ctx: Ctx) -> QuerySet[Invoice]:
    """Invoices with `amount_paid` and `balance_due` computed by the database."""
    return invoice_list(ctx).annotate(balance_due=BALANCE_DUE)


def invoice_queryset(ctx: Ctx) -> QuerySet[Invoice]:
    """Invoices with `amount_paid`, `balance_due` and `is_overdue` computed by the database."""
    return invoice_amounts_queryset(ctx).annotate(
        is_overdue=ExpressionWrapper(overdue_q(), output_field=BooleanField())
    )


def invoice_detail_queryset(ctx: Ctx) -> QuerySet[Invoice]:
    """invoice_queryset's invoices with their lines (`line_list`) and the reminders sent
    (`reminder_list`, by step), one query for all of each."""
    return (
        invoice_queryset(ctx)
        .prefetch_related(Prefetch("lines", InvoiceLine.objects.of(ctx), to_attr="line_list"))
        .prefetch_related(
            Prefetch("reminders", InvoiceReminder.objects.of(ctx), to_attr="reminder_list")
        )
    )


def _attach(rows: Sequence[dict[str, Any]], children: QuerySet[Any], attr: str) -> None:
    """Put each row's `children` (rows of a model with an `invoice`) in row[attr]: one query."""
    by_invoice: dict[int, list[Any]] = {row["id"]: [] for row in rows}
    if by_invoice:
        for child in children.filter(invoice_id__in=by_invoice):
            by_invoice[child.invoice_id].append(child)
    for row in rows:
        row[attr] = by_invoice[row["id"]]


def invoice_lines_attach(ctx: Ctx, rows: Sequence[dict[str, Any]]) -> None:
    """Give each invoice row of a list page (`values()`, with its `id`) its `line_list`: one
    query for the page."""
    _attach(rows, InvoiceLine.objects.of(ctx), "line_list")


def invoice_reminders_attach(ctx: Ctx, rows: Sequence[dict[str, Any]]) -> None:
    """Give each invoice row of a list page its `reminder_list` (the reminders sent, by step):
    one query for the page."""
    _attach(rows, InvoiceReminder.objects.of(ctx), "reminder_list")


def invoice_filter_overdue(
    ctx: Ctx, queryset: QuerySet[Invoice], overdue: bool
) -> QuerySet[Invoice]:
    return queryset.filter(overdue_q()) if overdue else queryset.exclude(overdue_q())


def invoice_get(ctx: Ctx, *, invoice_id: int) -> Invoice:
    """One invoice with the same computed amounts as the list."""
    return invoice_detail_queryset(ctx).get(pk=invoice_id)


def receivables_drift(
    ctx: Ctx,
) -> dict[tuple[int, str, datetime.date], tuple[int, Decimal, Decimal]]:
    """What ctx company's running figures (ReceivablesByDueDate) lack, per row: (invoices, total,
    paid) recounted from the sent invoices, their payments and the credits applied to them (each
    row's amount_credited: settled like a payment) minus the row's figures; empty when they are
    exact.

    One statement (a UNION ALL of the three reads), so all three tables are read at the same
    instant: a write through the services changes the invoices and the receivables figures
    together and never shows as drift, even while this runs. Reads every open invoice and payment.
    """
    number = IntegerField()
    invoices = (
        Invoice.objects.of(ctx)
        .filter(status=InvoiceStatus.SENT)
        .order_by()
        .values("status", "due_date")
        .annotate(
            n=Count("id"),
            billed=Sum("total", output_field=MONEY_SUM),
            settled=Sum("amount_credited", output_field=MONEY_SUM),
        )
        .values_list("status", "due_date", "n", "billed", "settled")
    )
    payments = (
        Payment.objects.of(ctx)
        .filter(COUNTED, invoice__status=InvoiceStatus.SENT)
        .order_by()
        .values("invoice__status", "invoice__due_date")
        .annotate(
            n=Value(0, output_field=number),
            billed=Value(ZERO, output_field=MONEY_SUM),
            settled=Sum("amount", output_field=MONEY_SUM),
        )
        .values_list("invoice__status", "invoice__due_date", "n", "billed", "settled")
    )
    receivables = (
        ReceivablesByDueDate.objects.of(ctx)
        .order_by()
        .annotate(
            n=ExpressionWrapper(-F("invoice_count"), output_field=number),
            billed=ExpressionWrapper(-F("total"), output_field=MONEY_SUM),
            settled=ExpressionWrapper(-F("paid"), output_field=MONEY_SUM),
        )
        .values_list("status", "due_by", "n", "billed", "settled")
    )
    company_id = ctx.company.pk
    drift: dict[tuple[int, str, datetime.date], tuple[int, Decimal, Decimal]] = {}
    for status, due, count, total, paid in invoices.union(payments, receivables, all=True):
        # As services._receivables_share: NO_DUE_DATE for no due date. A receivables row of another
        # status (none is ever written) would show as drift to remove.
        key = (company_id, status, NO_DUE_DATE if due is None else due)
        count0, total0, paid0 = drift.get(key, (0, ZERO, ZERO))
        drift[key] = (
            count0 + count,
            total0 + Decimal(total).quantize(CENT),  # SQLite sums decimals as floats
            paid0 + Decimal(paid).quantize(CENT),
        )
    return {key: figures for key, figures in drift.items() if any(figures)}


def payment_queryset(ctx: Ctx) -> QuerySet[Payment]:
    return Payment.objects.of(ctx)


# What a statement shows of each invoice (with amount_paid, balance_due and its lines).
STATEMENT_ITEM_FIELDS = (
    "id",
    "number",
    "issued_date",
    "due_date",
    "status",
    "total",
    "amount_credited",
)
# What it shows of each payment received in the period (with the invoice's `number`).
STATEMENT_PAYMENT_FIELDS = ("id", "invoice_id", "paid_date", "amount", "method", "reference")
# What it shows of each credit granted in the period (with its invoice's `number`, if any).
STATEMENT_CREDIT_FIELDS = ("id", "credit_date", "source", "reason", "invoice_id", "amount")
# What it shows of each credit applied in the period (with the invoice's `number`).
STATEMENT_APPLICATION_FIELDS = ("id", "credit_id", "invoice_id", "applied_date", "amount")


@dataclass(frozen=True)
class Statement:
    """`items`, `total`, `paid_total` and `balance_due` are v1's: the invoices issued in the
    period (each with its lines) and what is paid and credited on them. The account over the
    period: `opening_balance` (owed when it starts, net of the customer's credits),
    `invoiced_total` (what was sent in it: drafts are not owed yet), the `payments` received in
    it, the `credits` granted in it (credit notes, manual credits, overpayments) and
    `closing_balance` (owed when it ends) = opening_balance + invoiced_total - payments_total -
    credits_total. The `credit_applications` made in the period move credit onto invoices
    (lowering their balance) and leave the account as it is; `unapplied_credit` is the credit
    not applied yet when the period ends, so the invoices' balances then add up to
    closing_balance + unapplied_credit. Void invoices (and payments and applications on them)
    and reversed payments count as nothing."""

    customer: Customer
    from_date: datetime.date
    to_date: datetime.date
    items: Sequence[Invoice]
    total: Decimal
    paid_total: Decimal
    credited_total: Decimal
    balance_due: Decimal
    opening_balance: Decimal
    invoiced_total: Decimal
    payments: Sequence[Payment]
    payments_total: Decimal
    credits: Sequence[Credit]
    credits_total: Decimal
    credit_applications: Sequence[CreditApplication]
    applied_total: Decimal
    closing_balance: Decimal
    unapplied_credit: Decimal

    @property
    def customer_name(self) -> str:
        return self.customer.full_name


def statement_period_check(ctx: Ctx, *, from_date: datetime.date, to_date: datetime.date) -> None:
    if from_date > to_date:
        raise ApplicationError(
            f"The period starts ({from_date}) after it ends ({to_date})",
            reason=BillingErrorCode.INVALID_DATE_RANGE,
            status=400,
        )


def _customer_sum(queryset: QuerySet[Any], field: str) -> Money:
    """The sum of `field` over `queryset` (rows of the outer customer), as a subquery."""
    summed = queryset.order_by().annotate(one=Value(1)).values("one").annotate(s=Sum(field))
    return Money(
        Coalesce(
            Subquery(summed.values("s"), output_field=MONEY_SUM),
            Value(ZERO),
            output_field=MONEY_SUM,
        ),
        output_field=MONEY_SUM,
    )


# Owed: what was sent (drafts are not owed yet, void invoices never).
OWED = (InvoiceStatus.SENT, InvoiceStatus.PAID)


def _counted_payments(ctx: Ctx) -> QuerySet[Payment]:
    return Payment.objects.of(ctx).filter(COUNTED).exclude(invoice__status=InvoiceStatus.VOID)


def _counted_applications(ctx: Ctx) -> QuerySet[CreditApplication]:
    # As payments: what is applied to a void invoice counts as nothing on the account.
    return CreditApplication.objects.of(ctx).exclude(invoice__status=InvoiceStatus.VOID)


# The statement's queries, compiled once per process (ektor/db/prepared.py): building and
# compiling them was about 60% of the statement's CPU (docs/performance.md). The company is a
# parameter like the customer and the period: the compiled SQL is every company's.
def _statement_customer_queryset(
    *, company_id: int, customer_id: int, from_date: datetime.date, to_date: datetime.date
) -> QuerySet[Customer]:
    """The customer with what was billed, paid and credited before the period, and the credit
    granted and applied up to its end."""
    ctx = Ctx.system(company=company_id)
    billed = Invoice.objects.of(ctx).filter(status__in=OWED)
    # A voided credit (its overpayment's payment was reversed) counts on no day, as the payment.
    credits = Credit.objects.of(ctx).filter(customer=OuterRef("pk"), voided_at__isnull=True)
    return (
        Customer.objects.of(ctx)
        .filter(pk=customer_id)
        .annotate(
            billed_before=_customer_sum(
                billed.filter(customer=OuterRef("pk"), issued_date__lt=from_date), "total"
            ),
            paid_before=_customer_sum(
                _counted_payments(ctx).filter(
                    invoice__customer=OuterRef("pk"), paid_date__lt=from_date
                ),
                "amount",
            ),
            credited_before=_customer_sum(credits.filter(credit_date__lt=from_date), "amount"),
            credited_by_end=_customer_sum(credits.filter(credit_date__lte=to_date), "amount"),
            applied_by_end=_customer_sum(
                _counted_applications(ctx).filter(
                    credit__customer=OuterRef("pk"), applied_date__lte=to_date
                ),
                "amount",
            ),
        )
        .order_by("pk")[:1]
    )


def _statement_items_queryset(
    *, company_id: int, customer_id: int, from_date: datetime.date, to_date: datetime.date
) -> QuerySet[Invoice]:
    return (
        invoice_list(Ctx.system(company=company_id))
        .annotate(balance_due=BALANCE_DUE)
        .filter(customer_id=customer_id, issued_date__gte=from_date, issued_date__lte=to_date)
        .only(*STATEMENT_ITEM_FIELDS)
        .order_by("issued_date", "id")
    )


def _statement_lines_queryset(
    *, company_id: int, customer_id: int, from_date: datetime.date, to_date: datetime.date
) -> QuerySet[InvoiceLine]:
    """The lines of the statement's items (the same invoices, in the same period)."""
    return (
        InvoiceLine.objects.of(Ctx.system(company=company_id))
        .filter(
            invoice__customer_id=customer_id,
            invoice__issued_date__gte=from_date,
            invoice__issued_date__lte=to_date,
        )
        .order_by("id")
    )


def _statement_payments_queryset(
    *, company_id: int, customer_id: int, from_date: datetime.date, to_date: datetime.date
) -> QuerySet[Payment]:
    return (
        _counted_payments(Ctx.system(company=company_id))
        .filter(invoice__customer_id=customer_id, paid_date__range=(from_date, to_date))
        .annotate(number=F("invoice__number"))
        .only(*STATEMENT_PAYMENT_FIELDS)
        .order_by("paid_date", "id")
    )


def _statement_credits_queryset(
    *, company_id: int, customer_id: int, from_date: datetime.date, to_date: datetime.date
) -> QuerySet[Credit]:
    return (
        Credit.objects.of(Ctx.system(company=company_id))
        .filter(
            customer_id=customer_id,
            credit_date__range=(from_date, to_date),
            voided_at__isnull=True,
        )
        .annotate(number=F("invoice__number"))
        .only(*STATEMENT_CREDIT_FIELDS)
        .order_by("credit_date", "id")
    )


def _statement_applications_queryset(
    *, company_id: int, customer_id: int, from_date: datetime.date, to_date: datetime.date
) -> QuerySet[CreditApplication]:
    return (
        _counted_applications(Ctx.system(company=company_id))
        .filter(credit__customer_id=customer_id, applied_date__range=(from_date, to_date))
        .annotate(number=F("invoice__number"))
        .only(*STATEMENT_APPLICATION_FIELDS)
        .order_by("applied_date", "id")
    )


_PERIOD = {
    "company_id": int,
    "customer_id": int,
    "from_date": datetime.date,
    "to_date": datetime.date,
}
_statement_customer = PreparedQuery(_statement_customer_queryset, **_PERIOD)
_statement_items = PreparedQuery(_statement_items_queryset, **_PERIOD)
_statement_lines = PreparedQuery(_statement_lines_queryset, **_PERIOD)
_statement_payments = PreparedQuery(_statement_payments_queryset, **_PERIOD)
_statement_credits = PreparedQuery(_statement_credits_queryset, **_PERIOD)
_statement_applications = PreparedQuery(_statement_applications_queryset, **_PERIOD)


def customer_statement(
    ctx: Ctx, *, customer_id: int, from_date: datetime.date, to_date: datetime.date
) -> Statement:
    """The customer's invoices issued in [from_date, to_date], oldest first, each with its
    `line_list`, with totals that leave out void invoices, and the account over the period (see
    Statement). Six queries whatever the number of invoices, lines, payments and credits: the
    customer with what was owed before the period (and the credit left at its end), the items
    (their totals summed from them, exact to the cent, see Money), their lines, and the period's
    payments, credits and credit applications.

    A period that ends before it starts is a 400 (`invalid_date_range`); an unknown customer 404.
    """
    statement_period_check(ctx, from_date=from_date, to_date=to_date)
    period = {
        "company_id": company_of(ctx).pk,
        "customer_id": customer_id,
        "from_date": from_date,
        "to_date": to_date,
    }
    found = _statement_customer(**period)
    if not found:
        raise NotFound("Customer", reason=CustomerErrorCode.CUSTOMER_NOT_FOUND)
    customer = found[0]
    items = _statement_items(**period)
    lines: dict[int, list[InvoiceLine]] = {item.pk: [] for item in items}
    for line in _statement_lines(**period):
        # An invoice that came into the period between the two reads is not on this statement.
        if line.invoice_id in lines:
            lines[line.invoice_id].append(line)
    for item in items:
        item.line_list = lines[item.pk]  # type: ignore[attr-defined]
    payments = _statement_payments(**period)
    credits = _statement_credits(**period)
    applications = _statement_applications(**period)
    billed = [item for item in items if item.status != InvoiceStatus.VOID]
    total = sum((item.total for item in billed), ZERO)
    # amount_paid is invoice_list()'s annotation.
    paid_total = sum((item.amount_paid for item in billed), ZERO)  # type: ignore[attr-defined]
    credited_total = sum((item.amount_credited for item in billed), ZERO)
    # The sums before and by the end are _statement_customer_queryset()'s annotations.
    before = customer.billed_before - customer.paid_before - customer.credited_before  # type: ignore[attr-defined]
    unapplied = customer.credited_by_end - customer.applied_by_end  # type: ignore[attr-defined]
    invoiced_total = sum((item.total for item in items if item.status in OWED), ZERO)
    payments_total = sum((payment.amount for payment in payments), ZERO)
    credits_total = sum((credit.amount for credit in credits), ZERO)
    return Statement(
        customer=customer,
        from_date=from_date,
        to_date=to_date,
        items=items,
        total=total,
        paid_total=paid_total,
        credited_total=credited_total,
        balance_due=total - paid_total - credited_total,
        opening_balance=before,
        invoiced_total=invoiced_total,
        payments=payments,
        payments_total=payments_total,
        credits=credits,
        credits_total=credits_total,
        credit_applications=applications,
        applied_total=sum((application.amount for application in applications), ZERO),
        closing_balance=before + invoiced_total - payments_total - credits_total,
        unapplied_credit=unapplied,
    )


@dataclass(frozen=True)
class CustomerBalance:
    """What a customer owes now: `balance_due` over their `open_invoices` (sent, not yet paid:
    total - amount_paid - amount_credited, summed), the credit not yet applied, and
    `net_balance` = balance_due - unapplied_credit (negative: the company owes them)."""

    customer_id: int
    open_invoices: int
    balance_due: Decimal
    unapplied_credit: Decimal
    net_balance: Decimal


def _customer_count(queryset: QuerySet[Any]) -> Coalesce:
    counted = queryset.order_by().annotate(one=Value(1)).values("one").annotate(n=Count("pk"))
    return Coalesce(Subquery(counted.values("n")), Value(0), output_field=IntegerField())


def customer_balance(ctx: Ctx, *, customer_id: int) -> CustomerBalance:
    """The customer's balance (CustomerBalance), in one query; 404 for an unknown customer."""
    open_invoices = Invoice.objects.of(ctx).filter(
        customer=OuterRef("pk"), status=InvoiceStatus.SENT
    )
    found = (
        Customer.objects.of(ctx)
        .filter(pk=customer_id)
        .annotate(
            open_count=_customer_count(open_invoices),
            billed=_customer_sum(open_invoices, "total"),
            credited=_customer_sum(open_invoices, "amount_credited"),
            paid=_customer_sum(
                Payment.objects.of(ctx).filter(
                    COUNTED, invoice__customer=OuterRef("pk"), invoice__status=InvoiceStatus.SENT
                ),
                "amount",
            ),
            unapplied=_customer_sum(
                Credit.objects.of(ctx).filter(customer=OuterRef("pk"), remaining__gt=0),
                "remaining",
            ),
        )
        .values("open_count", "billed", "credited", "paid", "unapplied")
        .first()
    )
    if found is None:
        raise NotFound("Customer", reason=CustomerErrorCode.CUSTOMER_NOT_FOUND)
    owed = found["billed"] - found["credited"] - found["paid"]
    return CustomerBalance(
        customer_id=customer_id,
        open_invoices=found["open_count"],
        balance_due=owed,
        unapplied_credit=found["unapplied"],
        net_balance=owed - found["unapplied"],
    )


def credit_list(ctx: Ctx) -> QuerySet[Credit]:
    """The company's credits, newest first."""
    return Credit.objects.of(ctx).order_by("-id")


def credit_applications(ctx: Ctx, *, invoice_id: int) -> QuerySet[CreditApplication]:
    """What credits were applied to the invoice, oldest first."""
    return CreditApplication.objects.of(ctx).filter(invoice_id=invoice_id).order_by("id")


def billing_run_list(ctx: Ctx) -> QuerySet[BillingRun]:
    """The company's billing runs, newest first."""
    return BillingRun.objects.of(ctx).order_by("-id")
