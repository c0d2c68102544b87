"""Payment reminders: which sent invoices are due one (the rule), and the claim of a step that
makes each reminder go out once per invoice and step, whatever runs at once.

The rule. An invoice is reminded while it is sent, not disputed, has a due date and a balance
(billing.selectors' balance_due: what the customer still owes). Its days past due (today - due
date) reach some of the company's steps (Company.reminder_days, e.g. 7, 30, 60); the highest step
reached is the one to send, unless it was sent already. A run missed for a while (the server was
down, the company added steps) thus sends one email, for the highest step reached, never the
steps it skipped one after another; the skipped steps stay unsent (InvoiceReminder rows are the
emails that went out) and are never sent later, as a higher step was reached. A step sent stays
sent: a payment reversed and the invoice owed again gets the next step, not the same one twice.

The email itself goes from billing.reminder_email (the one place a reminder leaves the process),
inside the transaction of reminder_claim's row: see there for the order."""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Prefetch, QuerySet

from audit.services import record
from billing.models import Invoice, InvoiceReminder, InvoiceStatus
from billing.selectors import invoice_amounts_queryset
from core.context import Ctx
from tenancy.scoping import company_of


def _reminder_step(steps: Sequence[int], *, days_past_due: int, sent: Sequence[int]) -> int | None:
    """The step (days past due) whose reminder is due now: the highest of `steps` reached and
    not yet `sent`; None when no step is reached or the highest reached went out already."""
    reached = [step for step in steps if step <= days_past_due]
    if not reached:
        return None
    highest = max(reached)
    return None if highest in sent else highest


@dataclass(frozen=True)
class DueReminder:
    invoice: Invoice  # with its customer and property
    days: int  # the step to send
    days_past_due: int
    amount_paid: Decimal
    balance_due: Decimal
    recipient: str | None  # the customer's email; None: they have none, nothing can be sent


def _candidates(ctx: Ctx, *, today: datetime.date, first_step: int) -> QuerySet[Invoice]:
    """Sent, undisputed invoices with a balance, due at least the first step ago (the
    (status, due_date) index's range)."""
    return (
        invoice_amounts_queryset(ctx)
        .filter(
            status=InvoiceStatus.SENT,
            disputed=False,
            due_date__lte=today - datetime.timedelta(days=first_step),
            balance_due__gt=0,  # type: ignore[misc]  # the selector's annotation
        )
        .prefetch_related(
            "customer",
            "property",
            Prefetch("reminders", InvoiceReminder.objects.of(ctx), to_attr="reminder_list"),
        )
        .order_by("due_date", "id")
    )


def _due(invoice: Invoice, steps: Sequence[int], today: datetime.date) -> DueReminder | None:
    assert invoice.due_date is not None  # noqa: S101 - _candidates has a due date
    days_past_due = (today - invoice.due_date).days
    sent = [reminder.days for reminder in invoice.reminder_list]  # type: ignore[attr-defined]
    step = _reminder_step(steps, days_past_due=days_past_due, sent=sent)
    if step is None:
        return None
    return DueReminder(
        invoice=invoice,
        days=step,
        days_past_due=days_past_due,
        amount_paid=invoice.amount_paid,  # type: ignore[attr-defined]
        balance_due=invoice.balance_due,  # type: ignore[attr-defined]
        recipient=invoice.customer.email or None,
    )


def reminders_due(ctx: Ctx, *, today: datetime.date) -> list[DueReminder]:
    """The reminders ctx's company owes its customers today, oldest due date first, in three
    queries (the invoices, their customers, the steps they were sent)."""
    steps = sorted(company_of(ctx).reminder_days)
    if not steps:
        return []
    found = (
        _due(invoice, steps, today)
        for invoice in _candidates(ctx, today=today, first_step=steps[0])
    )
    return [due for due in found if due is not None]


@transaction.atomic
def reminder_claim(
    ctx: Ctx, *, invoice_id: int, days: int, today: datetime.date
) -> InvoiceReminder | None:
    """Claim step `days` of the invoice for the reminder about to be sent: its InvoiceReminder
    row and the invoice's "remind" event. Call it inside the transaction that then sends the
    email, so the row commits only with a sent email (billing.reminder_email).

    The rule is read again, fresh: None (nothing written) when the step is no longer the one due
    (the invoice was paid, voided or disputed since, or the customer's email removed) or another
    run claimed it first. Two runs at once both insert the row; the unique (invoice, days) key
    makes the second wait for the first's transaction, then fail (it sent) or go on (its email
    failed and nothing was kept)."""
    steps = sorted(company_of(ctx).reminder_days)
    invoice = _candidates(ctx, today=today, first_step=min(steps, default=days)).filter(
        pk=invoice_id
    )
    due = next((_due(found, steps, today) for found in invoice), None)
    if due is None or due.days != days or due.recipient is None:
        return None
    try:
        with transaction.atomic():
            reminder = InvoiceReminder.objects.create(
                company=company_of(ctx), invoice=due.invoice, days=days, recipient=due.recipient
            )
    except IntegrityError:
        return None
    record(
        ctx,
        "remind",
        due.invoice,
        {"reminder_days": [None, days], "sent_to": [None, due.recipient]},
    )
    return reminder
