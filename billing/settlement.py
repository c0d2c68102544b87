"""What settling an invoice means, for payments (billing.services) and credits (billing.credits)
alike: the invoice's row lock, what settles it (counted payments plus credits applied), when it
becomes paid, and the running figures in ReceivablesByDueDate that follow it.

The settled state kept on the invoice's row for aging as of a day (Invoice.settled_on,
first_received_on, last_received_on and payments_total): a new payment or credit application
calls `received` with its day (and a payment with its amount), then `mark_paid` when nothing is
owed any more; reversing one calls `reopen` when the invoice was paid, then `recount_received`.

Not a module of services: its functions are the steps the services take inside their own
transactions (they record the events)."""

import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.db import connection
from django.db.models import Max, Min
from django.utils import timezone

from billing.error_codes import BillingErrorCode
from billing.models import (
    COUNTED,
    NO_DUE_DATE,
    Invoice,
    InvoiceStatus,
    ReceivablesByDueDate,
    money_sum,
)
from core.context import Ctx
from core.errors import FieldError, NotFound
from core.money import CENT, ZERO


def locked_invoice(ctx: Ctx, invoice_id: int) -> Invoice:
    """The company's invoice with its row locked to the end of the transaction (404 when the
    company has none): every change of what is owed on an invoice takes this lock first."""
    invoice = Invoice.objects.of(ctx).select_for_update().filter(pk=invoice_id).first()
    if invoice is None:
        raise NotFound("Invoice", reason=BillingErrorCode.INVOICE_NOT_FOUND)
    return invoice


def amount_paid(invoice: Invoice) -> Decimal:
    """What the invoice's counted payments add up to."""
    paid: Decimal = invoice.payments.filter(COUNTED).aggregate(paid=money_sum("amount"))["paid"]
    return paid


def balance(invoice: Invoice, paid: Decimal) -> Decimal:
    """What is still owed on the invoice with `paid` paid on it and its credits applied."""
    return invoice.total - paid - invoice.amount_credited


def money_errors(**amounts: Decimal) -> list[FieldError]:
    """The rules of an amount of money given as input (422 field errors, named by keyword)."""
    errors = []
    for name, value in amounts.items():
        if not value.is_finite():
            errors.append(FieldError(name, "Input should be a finite amount of money"))
        elif value != value.quantize(CENT):
            errors.append(FieldError(name, "Ensure that there are no more than 2 decimal places."))
        elif value < 0:
            errors.append(FieldError(name, "Amount must not be negative"))
    return errors


def settled_on(invoice: Invoice) -> datetime.date:
    """The day a fully paid or credited invoice's balance reached 0.00: the latest of its issued
    date, its counted payments' paid dates and its credit applications' applied dates."""
    if invoice.total == ZERO:
        return invoice.issued_date  # nothing can be paid on it (not saved yet when created so)
    days = [invoice.issued_date]
    days.append(invoice.payments.filter(COUNTED).aggregate(day=Max("paid_date"))["day"])
    if invoice.amount_credited != ZERO:
        applied = invoice.credit_applications.aggregate(day=Max("applied_date"))["day"]
        days.append(applied)
    return max(day for day in days if day is not None)


def mark_paid(invoice: Invoice) -> list[str]:
    """Nothing is owed on the invoice any more: it is paid, settled on the day the last payment
    or credit counted. Returns the fields to save."""
    invoice.status = InvoiceStatus.PAID
    invoice.paid_at = timezone.now()
    invoice.settled_on = settled_on(invoice)
    return ["status", "paid_at", "settled_on"]


def reopen(invoice: Invoice) -> list[str]:
    """A paid invoice owes something again (a payment or credit application on it was
    reversed): back to sent, never settled. Returns the fields to save."""
    invoice.status = InvoiceStatus.SENT
    invoice.paid_at = None
    invoice.settled_on = None
    return ["status", "paid_at", "settled_on"]


def received(invoice: Invoice, day: datetime.date, *, paid: Decimal = ZERO) -> list[str]:
    """A payment of `paid`, or a credit application (already in amount_credited), dated `day`
    now counts on the invoice. Returns the fields to save."""
    fields = []
    if paid:
        invoice.payments_total += paid
        fields.append("payments_total")
    if invoice.first_received_on is None or day < invoice.first_received_on:
        invoice.first_received_on = day
        fields.append("first_received_on")
    if invoice.last_received_on is None or day > invoice.last_received_on:
        invoice.last_received_on = day
        fields.append("last_received_on")
    return fields


def recount_received(invoice: Invoice) -> list[str]:
    """A payment or credit application on the invoice no longer counts: the first and last days
    of those that still do, and what its counted payments add up to. Returns the fields to save
    (none when nothing changed)."""
    payments = invoice.payments.filter(COUNTED).aggregate(
        first=Min("paid_date"), last=Max("paid_date"), paid=money_sum("amount")
    )
    firsts, lasts = [payments["first"]], [payments["last"]]
    if invoice.amount_credited != ZERO:
        applied = invoice.credit_applications.aggregate(
            first=Min("applied_date"), last=Max("applied_date")
        )
        firsts.append(applied["first"])
        lasts.append(applied["last"])
    counted = {
        "first_received_on": min((day for day in firsts if day is not None), default=None),
        "last_received_on": max((day for day in lasts if day is not None), default=None),
        "payments_total": payments["paid"],
    }
    fields = [name for name, value in counted.items() if getattr(invoice, name) != value]
    for name in fields:
        setattr(invoice, name, counted[name])
    return fields


def settle_if_covered(invoice: Invoice, paid: Decimal) -> list[str]:
    """A sent invoice that payments (`paid`) and applied credits cover in full becomes paid;
    the fields that changed (none: it still owes). The one rule of payments and credits."""
    if invoice.status != InvoiceStatus.SENT or balance(invoice, paid) != ZERO:
        return []
    return mark_paid(invoice)


# A receivables row's key (company id, status, due_by), what changes in it (invoices, total,
# paid), and what one invoice adds to it: (key, total, paid).
ReceivablesKey = tuple[int, str, datetime.date]
ReceivablesFigures = tuple[int, Decimal, Decimal]
ReceivablesShare = tuple[ReceivablesKey, Decimal, Decimal]


def receivables_share(invoice: Invoice, paid: Decimal = ZERO) -> ReceivablesShare | None:
    """What the invoice, as it is now and with `paid` paid on it, adds to the running figures:
    a sent invoice its total and what settles it (`paid` and its amount_credited, as it is on
    the row) to its due date's row; a draft, paid or void invoice nothing (the dashboard counts
    drafts from the invoices, so no draft write locks a receivables row)."""
    if invoice.status == InvoiceStatus.SENT:
        key = (invoice.company_id, str(InvoiceStatus.SENT), invoice.due_date or NO_DUE_DATE)
        return key, invoice.total, paid + invoice.amount_credited
    return None


def receivables_apply(shares: Iterable[tuple[ReceivablesShare | None, int]]) -> None:
    """Add each (share, sign) to its receivables row."""
    changes: dict[ReceivablesKey, ReceivablesFigures] = {}
    for share, sign in shares:
        if share is None:
            continue
        key, total, paid = share
        count0, total0, paid0 = changes.get(key, (0, ZERO, ZERO))
        changes[key] = (count0 + sign, total0 + sign * total, paid0 + sign * paid)
    receivables_write(changes)


def receivables_write(changes: Mapping[ReceivablesKey, ReceivablesFigures]) -> None:
    """One upsert per row that changes, in a fixed order, so two transactions changing the same
    two rows never deadlock."""
    for (company_id, status, due_by), (count, total, paid) in sorted(changes.items()):
        if count or total or paid:
            receivables_add(company_id, status, due_by, count, total, paid)


def receivables_add(
    company_id: int, status: str, due_by: datetime.date, count: int, total: Decimal, paid: Decimal
) -> None:
    """Add to one receivables row, creating it if missing. An upsert: it takes the row's exclusive
    lock at once (held to the commit), so concurrent changes of a row are applied one after the
    other. ROUND keeps SQLite, which adds decimals as floats, on the cent."""
    quote = connection.ops.quote_name
    table = quote(ReceivablesByDueDate._meta.db_table)
    columns = {
        field.name: str(field.column) for field in ReceivablesByDueDate._meta.concrete_fields
    }
    company_col, status_col, due_col, count_col, total_col, paid_col = (
        quote(columns[name])
        for name in ("company", "status", "due_by", "invoice_count", "total", "paid")
    )
    # Only quoted model names are interpolated; the values are parameters.
    insert = (
        f"INSERT INTO {table} ({company_col}, {status_col}, {due_col}, {count_col}, "  # noqa: S608
        f"{total_col}, {paid_col}) VALUES (%s, %s, %s, %s, %s, %s)"
    )
    add = (
        f"{count_col} = {count_col} + %s, {total_col} = ROUND({total_col} + %s, 2), "
        f"{paid_col} = ROUND({paid_col} + %s, 2)"
    )
    if connection.vendor == "mysql":
        sql = f"{insert} ON DUPLICATE KEY UPDATE {add}"
    else:
        sql = f"{insert} ON CONFLICT ({company_col}, {status_col}, {due_col}) DO UPDATE SET {add}"
    due = connection.ops.adapt_datefield_value(due_by)
    with connection.cursor() as cursor:
        cursor.execute(sql, [company_id, status, due, count, total, paid, count, total, paid])


def receivables_change(*, before: ReceivablesShare | None, after: ReceivablesShare | None) -> None:
    """Move an invoice's share of the running figures from what it was to what it is."""
    receivables_apply([(before, -1), (after, 1)])
