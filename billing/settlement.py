"""An invoice's settled state, kept on its row by the services that change what is owed on it:
`status` paid, `paid_at` and `settled_on` (the day its balance reached 0.00, which aging as of a
day relies on, see Invoice.settled_on). The caller holds the invoice's row lock, has already
written the payment or credit application that settles it, and saves the fields returned."""

import datetime

from django.db.models import Max
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
