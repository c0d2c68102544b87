"""Customer credits: money the company owes a customer (a manual credit, a credit note against
an invoice, the part of a payment above its invoice's balance), applied to their invoices.

An application settles an invoice as a payment does (billing.settlement): it raises the invoice's
`amount_credited` and lowers the credit's `remaining` under both rows' locks, a fully covered
invoice becomes paid, and the running figures (ReceivablesByDueDate) count what is credited as
settled, in the same transaction.

Lock order, after ReceivablesByDueDate's: the invoice's row first (as payment_record), then
the credit's, then the receivables row. Two applications of one credit to two invoices each hold
their own invoice and wait for the credit, one after the other; an application and a payment on
one invoice wait for the invoice, so whichever comes second sees what the first settled. A
payment's reversal locks its invoice, the payment, then the payment's overpayment credit. A
billing run with auto_apply_credits holds its new invoices (it inserted them) and locks the
customers' open credits (credits_lock_open) before its sends take the counter and receivables
rows, so it never waits for a credit while holding a receivables row.
"""

import datetime
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from audit.services import record_change
from billing.error_codes import BillingErrorCode
from billing.models import Credit, CreditApplication, CreditSource, Invoice, InvoiceStatus, Payment
from billing.settlement import (
    amount_paid,
    balance,
    locked_invoice,
    money_errors,
    receivables_change,
    receivables_share,
    received,
    settle_if_covered,
)
from core.context import Ctx
from core.errors import Conflict, FieldError, InvalidInput, NotFound
from core.money import ZERO
from customers.error_codes import CustomerErrorCode
from customers.models import Customer
from tenancy.scoping import company_of, company_today

REASON_MAX = 255


def _amount_checked(amount: Decimal) -> None:
    errors = money_errors(amount=amount)
    if not errors and amount <= 0:
        errors.append(FieldError("amount", "Amount must be greater than 0"))
    if errors:
        raise InvalidInput(errors)


def _reason_checked(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput([FieldError("reason", "A credit needs a reason", "missing")])
    if len(reason) > REASON_MAX:
        raise InvalidInput(
            [
                FieldError(
                    "reason",
                    f"Ensure this field has no more than {REASON_MAX} characters.",
                    "string_too_long",
                )
            ]
        )
    return reason


@transaction.atomic
def credit_create(
    ctx: Ctx,
    *,
    customer_id: int,
    amount: Decimal,
    reason: str,
    invoice_id: int | None = None,
    credit_date: datetime.date | None = None,
) -> Credit:
    """A manual credit, or with `invoice_id` a credit note against that invoice (the customer's,
    sent or paid: a draft is changed instead, a void invoice owes nothing).

    A credit note is applied to its invoice at once, up to what the invoice still owes (a sent
    invoice): it corrects that invoice, so leaving it open would let the invoice show as owed or
    overdue. What the invoice does not owe (all of it, on a paid invoice) stays open for the
    customer's next invoices."""
    _amount_checked(amount)
    reason = _reason_checked(reason)
    if not Customer.objects.of(ctx).filter(pk=customer_id).exists():
        raise NotFound("Customer", reason=CustomerErrorCode.CUSTOMER_NOT_FOUND)
    invoice = None
    if invoice_id is not None:
        invoice = locked_invoice(ctx, invoice_id)
        _check_same_customer(invoice, customer_id)
        if invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.VOID):
            raise Conflict(
                f"Invoice {invoice} is {invoice.status}: a credit note is made against a sent or "
                "paid invoice (change a draft instead; a void invoice owes nothing)",
                reason=BillingErrorCode.CREDIT_INVOICE_NOT_SENT,
            )
    credit = Credit.objects.create(
        company=company_of(ctx),
        customer_id=customer_id,
        source=CreditSource.CREDIT_NOTE if invoice else CreditSource.MANUAL,
        amount=amount,
        remaining=amount,
        reason=reason,
        invoice=invoice,
        credit_date=credit_date or company_today(ctx),
    )
    record_change(ctx, "create", credit)
    if invoice is not None and invoice.status == InvoiceStatus.SENT:
        owed = balance(invoice, amount_paid(invoice))
        if owed > 0:
            _apply(ctx, credit=credit, invoice=invoice, amount=min(owed, amount))
    return credit


def _check_same_customer(invoice: Invoice, customer_id: int) -> None:
    if invoice.customer_id != customer_id:
        raise Conflict(
            f"Invoice {invoice} is another customer's: a credit applies only to its customer's "
            "invoices",
            reason=BillingErrorCode.CREDIT_CUSTOMER_MISMATCH,
        )


def _locked_credit(ctx: Ctx, credit_id: int) -> Credit:
    credit = Credit.objects.of(ctx).select_for_update().filter(pk=credit_id).first()
    if credit is None:
        raise NotFound("Credit", reason=BillingErrorCode.CREDIT_NOT_FOUND)
    return credit


@transaction.atomic
def credit_apply(
    ctx: Ctx, *, credit_id: int, invoice_id: int, amount: Decimal
) -> CreditApplication:
    """Apply `amount` of the credit to a sent invoice of the same customer, under the invoice's
    then the credit's row lock (see the module's lock order); rules in this order: both exist
    (404), the amount (422), same customer (409 credit_customer_mismatch), a sent invoice (409
    credit_invoice_not_sent), at most the credit's remainder (409 credit_exceeds_remaining) and
    the invoice's balance (409 credit_exceeds_balance). The invoice it covers becomes paid."""
    invoice = locked_invoice(ctx, invoice_id)
    credit = _locked_credit(ctx, credit_id)
    _amount_checked(amount)
    _check_same_customer(invoice, credit.customer_id)
    if invoice.status != InvoiceStatus.SENT:
        why = {
            InvoiceStatus.DRAFT: "a draft: send it first",
            InvoiceStatus.PAID: "already paid",
            InvoiceStatus.VOID: "void: it owes nothing",
        }[InvoiceStatus(invoice.status)]
        raise Conflict(
            f"Invoice {invoice} is {why} (a credit applies to a sent invoice)",
            reason=BillingErrorCode.CREDIT_INVOICE_NOT_SENT,
        )
    if amount > credit.remaining:
        taken = f" (taken back: {credit.void_reason})" if credit.voided_at else ""
        raise Conflict(
            f"Credit #{credit.pk} has {credit.remaining} left of {credit.amount}{taken}: "
            f"{amount} cannot be applied",
            reason=BillingErrorCode.CREDIT_EXCEEDS_REMAINING,
            extra={"remaining": str(credit.remaining)},
        )
    owed = balance(invoice, amount_paid(invoice))
    if amount > owed:
        raise Conflict(
            f"{amount} exceeds the balance due of {owed} on invoice {invoice} (total "
            f"{invoice.total}, paid and credited {invoice.total - owed})",
            reason=BillingErrorCode.CREDIT_EXCEEDS_BALANCE,
            extra={"balance_due": str(owed)},
        )
    return _apply(ctx, credit=credit, invoice=invoice, amount=amount)


def _apply(ctx: Ctx, *, credit: Credit, invoice: Invoice, amount: Decimal) -> CreditApplication:
    """Apply `amount` (checked) of the locked credit to the locked sent invoice."""
    paid = amount_paid(invoice)
    before = receivables_share(invoice, paid)
    application = CreditApplication.objects.create(
        company_id=invoice.company_id,
        credit=credit,
        invoice=invoice,
        amount=amount,
        applied_date=company_today(ctx),
    )
    record_change(ctx, "create", application)
    credit.remaining -= amount
    credit.save(update_fields=["remaining"])
    record_change(ctx, "apply", credit)
    invoice.amount_credited += amount
    fields = [
        "amount_credited",
        *settle_if_covered(invoice, paid),
        *received(invoice, application.applied_date),
    ]
    invoice.save(update_fields=[*fields, "updated_at"])
    record_change(ctx, "pay" if invoice.status == InvoiceStatus.PAID else "credit", invoice)
    receivables_change(before=before, after=receivables_share(invoice, paid))
    return application


@transaction.atomic
def credit_from_overpayment(ctx: Ctx, *, payment: Payment, amount: Decimal) -> Credit:
    """The part of a payment above its invoice's balance, kept as the customer's credit
    (payment_record's `overpayment="credit"`, in its transaction and under its invoice lock)."""
    invoice = payment.invoice
    credit = Credit.objects.create(
        company_id=payment.company_id,
        customer_id=invoice.customer_id,
        source=CreditSource.OVERPAYMENT,
        amount=amount,
        remaining=amount,
        reason=f"Overpayment of {payment.amount + amount} on invoice {invoice}",
        invoice=invoice,
        payment=payment,
        # Money in on the day it was paid.
        credit_date=payment.paid_date,
    )
    record_change(ctx, "create", credit)
    return credit


@transaction.atomic
def overpayment_take_back(ctx: Ctx, *, payment: Payment, reason: str) -> Credit | None:
    """The reversal of `payment` (payment_reverse, which holds its invoice's and the payment's
    locks) takes back its overpayment credit, if it has one: the credit is voided (kept on
    record with its amount; nothing remains of it). A credit already applied, even in part,
    refuses the reversal (409 payment_credit_applied): that money settled other invoices."""
    credit = Credit.objects.of(ctx).select_for_update().filter(payment=payment).first()
    if credit is None:
        return None
    if credit.remaining != credit.amount:
        numbers = sorted({str(application.invoice) for application in credit.applications.all()})
        raise Conflict(
            f"The payment's overpayment credit #{credit.pk} has "
            f"{credit.amount - credit.remaining} of {credit.amount} applied (to "
            f"{', '.join(numbers)}): the payment cannot be reversed",
            reason=BillingErrorCode.PAYMENT_CREDIT_APPLIED,
        )
    credit.remaining = ZERO
    credit.voided_at = timezone.now()
    credit.void_reason = f"Payment #{payment.pk} reversed: {reason}"[:REASON_MAX]
    credit.save(update_fields=["remaining", "voided_at", "void_reason"])
    record_change(ctx, "void", credit)
    return credit


@transaction.atomic
def credits_lock_open(ctx: Ctx, *, customer_ids: Iterable[int]) -> dict[int, list[Credit]]:
    """The customers' open credits (something remains), oldest first, locked in id order (a
    billing run takes them before its sends, see the module's lock order)."""
    by_customer: dict[int, list[Credit]] = {}
    open_credits = (
        Credit.objects.of(ctx)
        .select_for_update()
        .filter(customer_id__in=sorted(set(customer_ids)), remaining__gt=0)
        .order_by("id")
    )
    for credit in open_credits:
        by_customer.setdefault(credit.customer_id, []).append(credit)
    for credits in by_customer.values():
        credits.sort(key=lambda credit: (credit.credit_date, credit.pk))
    return by_customer


@transaction.atomic
def credits_auto_apply(
    ctx: Ctx, *, invoice_ids: Sequence[int], open_credits: dict[int, list[Credit]]
) -> list[CreditApplication]:
    """Apply each customer's open credits (credits_lock_open's) to their sent invoices among
    `invoice_ids`, oldest invoice and oldest credit first, each through credit_apply, as much
    as the credit has left and the invoice owes."""
    applications = []
    invoices = Invoice.objects.of(ctx).filter(pk__in=invoice_ids, status=InvoiceStatus.SENT)
    for invoice in invoices.order_by("id"):
        owed = balance(invoice, amount_paid(invoice))
        for credit in open_credits.get(invoice.customer_id, []):
            if owed <= 0:
                break
            amount = min(owed, credit.remaining)
            if amount <= 0:
                continue
            applications.append(
                credit_apply(ctx, credit_id=credit.pk, invoice_id=invoice.pk, amount=amount)
            )
            credit.remaining -= amount
            owed -= amount
    return applications
