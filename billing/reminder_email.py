"""Sending the payment reminders a company owes today (billing.reminders decides which), through
the Platform's email (ektor.email: text and HTML, sent as the company). Run by `manage.py
send_reminders`, daily, never from a request.

The order, per reminder: open a transaction, claim the step (its InvoiceReminder row and the
invoice's event), send the email, commit. An email that fails rolls the claim back, so no step
is marked sent without its email and the next run tries again; a second run at the same moment
waits on the claimed row and finds it sent. The one gap left is a commit failing after the
SMTP server took the email (the database went away in between): the next run sends that step
again. A duplicate reminder is the lesser harm than a claimed step never sent."""

import datetime
import logging
from dataclasses import dataclass, field

from django.db import transaction

from billing.reminders import DueReminder, reminder_claim, reminders_due
from core.context import Ctx
from ektor.email import send_templated
from ektor.text import day, money, plural

logger = logging.getLogger("ektor.billing.reminders")


@dataclass
class RemindersSent:
    """What a run did, one line each, for the command's output."""

    sent: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def _describe(due: DueReminder) -> str:
    invoice = due.invoice
    return (
        f"{invoice} ({invoice.customer.full_name}, {money(due.balance_due)} due "
        f"{day(invoice.due_date)}, {plural(due.days_past_due, 'day')} late): "
        f"{due.days}-day reminder"
    )


def _send(ctx: Ctx, due: DueReminder) -> None:
    invoice = due.invoice
    assert due.recipient is not None  # noqa: S101 - reminders_send skips those without
    send_templated(
        ctx,
        template="invoice_reminder",
        to=[due.recipient],
        context={
            "invoice": invoice,
            "customer_name": invoice.customer.full_name,
            "property_label": invoice.property.label,
            "issued": day(invoice.issued_date),
            "due": day(invoice.due_date),
            "days_late": plural(due.days_past_due, "day"),
            "total": money(invoice.total),
            "paid": money(due.amount_paid),
            # Only when the customer's credit was applied to it, as on the printed invoice.
            "credited": money(invoice.amount_credited) if invoice.amount_credited else None,
            "balance": money(due.balance_due),
        },
    )


def reminders_send(ctx: Ctx, *, today: datetime.date) -> RemindersSent:
    """Email every reminder ctx's company owes today (billing.reminders' rule), each in its own
    transaction, and say what was sent, skipped and failed."""
    outcome = RemindersSent()
    for due in reminders_due(ctx, today=today):
        what = _describe(due)
        if due.recipient is None:
            outcome.skipped.append(f"{what}: the customer has no email address")
            continue
        try:
            with transaction.atomic():
                claimed = reminder_claim(ctx, invoice_id=due.invoice.pk, days=due.days, today=today)
                if claimed is not None:
                    _send(ctx, due)
        except Exception as exc:  # the mail server refused or is down: the next run retries
            logger.exception("reminder for invoice %s failed", due.invoice.pk)
            outcome.failed.append(f"{what}: {exc}")
            continue
        if claimed is not None:
            outcome.sent.append(f"{what} to {due.recipient}")
        else:
            outcome.skipped.append(f"{what}: sent by another run, or no longer due")
    return outcome
