"""An invoice's settled state, kept on its row by the services that change what is owed on it:
`status` paid, `paid_at`, `settled_on` (the day its balance reached 0.00) and
`first_received_on` (the first day something counted on it), which aging as of a day relies on
(see Invoice.settled_on). The caller holds the invoice's row lock, has already written (or
reversed) the payment or credit application, and saves the fields returned.

Who calls what: a new payment or credit application calls `received` with its day, then
`mark_paid` when nothing is owed any more; reversing one calls `reopen` when the invoice was
paid, then `recount_received`."""

import datetime

from django.db.models import Max, Min
from django.utils import timezone

from billing.models import COUNTED, Invoice, InvoiceStatus
from core.money import ZERO


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


def received(invoice: Invoice, day: datetime.date) -> list[str]:
    """A payment or credit application dated `day` now counts on the invoice. Returns the
    fields to save (none when something counted earlier already)."""
    if invoice.first_received_on is not None and invoice.first_received_on <= day:
        return []
    invoice.first_received_on = day
    return ["first_received_on"]


def recount_received(invoice: Invoice) -> list[str]:
    """A payment or credit application on the invoice no longer counts: the first day of those
    that still do. Returns the fields to save (none when it did not change)."""
    days = [invoice.payments.filter(COUNTED).aggregate(day=Min("paid_date"))["day"]]
    if invoice.amount_credited != ZERO:
        days.append(invoice.credit_applications.aggregate(day=Min("applied_date"))["day"])
    first = min((day for day in days if day is not None), default=None)
    if first == invoice.first_received_on:
        return []
    invoice.first_received_on = first
    return ["first_received_on"]
