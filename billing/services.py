"""Every write to invoices and payments goes through here: the API, the admin and the commands.

Money rules that depend on a balance lock the invoice row (`select_for_update`) for the whole
transaction, so concurrent payments are applied one after the other and never overpay.

Every change to a sent invoice (a send, a payment, a void, a new sent invoice) also changes the
running figures in ReceivablesByDueDate, in the same transaction, as the last lock it takes
(after the invoice's and the invoice-number counter's, see ReceivablesByDueDate):
`receivables_change(before, after)` (billing.settlement, shared with billing.credits).
Drafts are not in the running figures.
"""

import datetime
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from audit.changes import diff, snapshot_values
from audit.services import record_change, record_many
from billing import credits, runs, settlement
from billing import lines as pricing
from billing.error_codes import BillingErrorCode
from billing.models import (
    COUNTED,
    BillingRun,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    Payment,
    PaymentMethod,
    RunStatus,
)
from billing.settlement import (
    ReceivablesFigures,
    ReceivablesKey,
    locked_invoice,
    mark_paid,
    money_errors,
    receivables_apply,
    receivables_change,
    receivables_share,
    receivables_write,
)
from billing.tasks import run_billing, send_invoice_email
from catalog.error_codes import CatalogErrorCode
from catalog.models import Item
from core.context import Ctx
from core.errors import ApplicationError, Conflict, FieldError, InvalidInput, NotFound, refusal
from core.money import CENT, ZERO
from customers.error_codes import CustomerErrorCode
from customers.models import Customer, Property
from ektor.db.inserts import insert_many
from ektor.services import conflict_on_integrity, require_updatable
from ektor.tasks import enqueue_on_commit
from operations.error_codes import OperationsErrorCode
from operations.models import ServicePlan, Visit
from tenancy.numbering import numbers_reserve
from tenancy.scoping import company_of, company_today

_DUPLICATE = (
    "A payment with this reference is already recorded on this invoice",
    BillingErrorCode.DUPLICATE_PAYMENT_REFERENCE,
)
# The invoice lock makes the reference check see every committed payment; should a row still
# slip past it, the unique constraint answers, named by MySQL/MariaDB and by columns on SQLite.
DUPLICATE_REFERENCE = {
    "billing_payment_counted_reference_unique": _DUPLICATE,
    "billing_payment.invoice_id, billing_payment.reference": _DUPLICATE,
}
REVERSAL_REASON_MAX = 255
CREATE_STATUSES = (InvoiceStatus.DRAFT, InvoiceStatus.SENT)
# The original system's clients also record cancelled invoices by creating them void (the
# office creates drafts and sent invoices only, hence CREATE_STATUSES for its form).
API_CREATE_STATUSES = (*CREATE_STATUSES, InvoiceStatus.VOID)
CREATED_VOID_REASON = "Created void"
# What an invoice bills; a draft may change these and its notes (the status moves only
# through send, payments and void).
INVOICE_INPUT_FIELDS = (
    "customer_id",
    "property_id",
    "period_start",
    "period_end",
    "issued_date",
    "due_date",
    "subtotal",
    "tax",
    "total",
)
UPDATABLE_FIELDS = frozenset({*INVOICE_INPUT_FIELDS, "notes", "lines"})
TOTAL_FIELDS = ("subtotal", "tax", "total")
QUANTITY_PLACE = Decimal("0.001")
# payment_record's `overpayment`: the part above the invoice's balance becomes a credit.
OVERPAYMENT_CREDIT = "credit"
RATE_MAX = Decimal(100)


def _check_invoice_fields(invoice: Invoice) -> None:
    """The field rules of the contract (422), on the values the invoice would be saved with."""
    errors = money_errors(subtotal=invoice.subtotal, tax=invoice.tax, total=invoice.total)
    if invoice.period_start > invoice.period_end:
        errors.append(FieldError("period_end", "period_end must be on or after period_start"))
    if invoice.due_date is not None and invoice.issued_date > invoice.due_date:
        errors.append(FieldError("due_date", "due_date must be on or after issued_date"))
    if not errors and invoice.total != invoice.subtotal + invoice.tax:
        errors.append(
            FieldError(
                "total",
                f"total must equal subtotal + tax exactly "
                f"({invoice.subtotal} + {invoice.tax} = {invoice.subtotal + invoice.tax})",
            )
        )
    if errors:
        raise InvalidInput(errors)


def _check_parties(ctx: Ctx, *, customer_id: int, property_id: int) -> None:
    """Customer exists (404), property exists (404), property belongs to the customer (400)."""
    if not Customer.objects.of(ctx).filter(pk=customer_id).exists():
        raise NotFound("Customer", reason=CustomerErrorCode.CUSTOMER_NOT_FOUND)
    # Locked: a concurrent move of the property to another customer
    # (customers.services.property_customer_check locks the same row) waits for this invoice,
    # then sees it and refuses; or it goes first and this check sees the new owner.
    owner_id = (
        Property.objects.of(ctx)
        .select_for_update()
        .filter(pk=property_id)
        .values_list("customer_id", flat=True)
        .first()
    )
    if owner_id is None:
        raise NotFound("Property", reason=CustomerErrorCode.PROPERTY_NOT_FOUND)
    if owner_id != customer_id:
        # Named as the office knows them (the refusal path only: two more small reads).
        prop = Property.objects.of(ctx).select_related("customer").get(pk=property_id)
        customer = Customer.objects.of(ctx).get(pk=customer_id)
        raise ApplicationError(
            f"Property {prop.label} ({prop.address1}) belongs to {prop.customer.full_name}, "
            f"not to {customer.full_name}",
            reason=BillingErrorCode.PROPERTY_CUSTOMER_MISMATCH,
            status=400,
        )


@transaction.atomic
def receivables_add(ctx: Ctx, *, invoices: Iterable[tuple[Invoice, Decimal]]) -> None:
    """Add invoices written in bulk, not through invoice_create (the demo's volume data), each
    with the amount already paid on it, to the running figures (drafts, paid and void invoices
    add nothing); call it in the transaction that wrote them, after reserving their numbers."""
    receivables_apply((receivables_share(invoice, paid), 1) for invoice, paid in invoices)


@transaction.atomic
def receivables_fix(ctx: Ctx, *, drift: Mapping[ReceivablesKey, ReceivablesFigures]) -> None:
    """Add to the running figures what selectors.receivables_drift() found missing (after
    writes that bypassed the services: raw SQL, code older than the receivables figures during a
    rolling release). Writes through the services since the drift was read change the invoices and
    the receivables figures alike, so adding it afterwards is still exact; run one fix at a time."""
    receivables_write(drift)


# --- invoice lines --------------------------------------------------------------------------


# The most a money column (12 digits, 2 places) holds.
MONEY_MAX = Decimal("9999999999.99")


def _lines_checked(
    ctx: Ctx, lines: Sequence[Mapping[str, Any]], existing: Sequence[InvoiceLine] = ()
) -> list[InvoiceLine]:
    """Unsaved lines priced and taxed (billing.lines) once each one's rules hold: what it
    names exists in the company (404), its figures fit (422, located at `lines.<n>.<field>`).
    A line without a tax rate takes the company's for what it bills. A line given with the
    `line_id` of one of the `existing` lines replaces it: it keeps its id and what it bills
    once (a billing run's plan month, visit fee or visit line), so editing a billed draft never
    frees its sources to be billed again."""
    company = company_of(ctx)
    errors: list[FieldError] = []
    kept = {line.pk: line for line in existing}
    items = _named(ctx, Item, lines, "item_id", "Item", CatalogErrorCode.ITEM_NOT_FOUND)
    _named(ctx, Visit, lines, "visit_id", "Visit", OperationsErrorCode.VISIT_NOT_FOUND)
    _named(ctx, ServicePlan, lines, "plan_id", "Service plan", OperationsErrorCode.PLAN_NOT_FOUND)
    built = []
    for index, data in enumerate(lines):
        at = f"lines.{index}"
        kind = data.get("kind")
        item = items.get(data.get("item_id"))
        if kind is None and item is not None:
            kind = pricing.ITEM_LINE_KIND[item.kind]
        if kind not in LineKind.values:
            errors.append(FieldError(f"{at}.kind", f"Kind must be one of {', '.join(LineKind)}"))
            continue
        description = (data.get("description") or (item.name if item else "")).strip()
        if not description:
            errors.append(FieldError(f"{at}.description", "A line needs a description", "missing"))
        quantity = Decimal(data.get("quantity", 1))
        if (
            not quantity.is_finite()
            or quantity <= 0
            or quantity != quantity.quantize(QUANTITY_PLACE)
        ):
            errors.append(
                FieldError(f"{at}.quantity", "Quantity must be above 0, to at most 3 decimals")
            )
        price = data.get("unit_price", item.price if item else None)
        if price is None:
            errors.append(FieldError(f"{at}.unit_price", "Field required (or an item)", "missing"))
            continue
        unit_price = Decimal(price)
        if not unit_price.is_finite() or unit_price != unit_price.quantize(CENT):
            errors.append(
                FieldError(f"{at}.unit_price", "unit_price must be an amount to the cent")
            )
        elif unit_price < 0 and kind != LineKind.ADJUSTMENT:
            errors.append(
                FieldError(f"{at}.unit_price", "Only an adjustment line may take money off")
            )
        rate = data.get("tax_rate")
        if rate is None:
            rate = pricing.line_tax_rate(
                kind=kind,
                taxable=item.taxable if item else True,
                company_rate=company.tax_rate,
                tax_services=company.tax_services,
            )
        if not (ZERO <= rate <= RATE_MAX) or rate != rate.quantize(CENT):
            errors.append(
                FieldError(f"{at}.tax_rate", "tax_rate is a percent from 0 to 100, to the cent")
            )
        line_id = data.get("line_id")
        if line_id is not None and line_id not in kept:
            errors.append(FieldError(f"{at}.line_id", "Not a line of this invoice"))
        if errors:
            continue
        amount, tax = pricing.line_amounts(quantity, unit_price, rate)
        if abs(amount) + tax > MONEY_MAX:
            errors.append(
                FieldError(f"{at}.quantity", f"The line's amount is over {MONEY_MAX}", "range")
            )
            continue
        old = kept.pop(line_id) if line_id is not None else InvoiceLine()
        built.append(
            InvoiceLine(
                id=line_id,
                plan_period=old.plan_period,
                fee_visit_id=old.fee_visit_id,
                visit_line_id=old.visit_line_id,
                company=company,
                kind=kind,
                description=description[:255],
                # A kept line keeps what it names unless it is given anew.
                item_id=data.get("item_id") or old.item_id,
                visit_id=data.get("visit_id") or old.visit_id,
                plan_id=data.get("plan_id") or old.plan_id,
                quantity=quantity,
                unit_price=unit_price,
                tax_rate=rate,
                amount=amount,
                tax=tax,
            )
        )
    if errors:
        raise InvalidInput(errors)
    return built


def _named(
    ctx: Ctx,
    model: type[Item] | type[Visit] | type[ServicePlan],
    lines: Sequence[Mapping[str, Any]],
    key: str,
    what: str,
    reason: Any,
) -> dict[Any, Any]:
    """The company's rows the lines name by `key` (one query); a missing one is a 404."""
    wanted = {data[key] for data in lines if data.get(key) is not None}
    if not wanted:
        return {}
    found = model.objects.of(ctx).in_bulk(wanted)
    if len(found) != len(wanted):
        raise NotFound(what, reason=reason)
    return found


def _totals_from_lines(given: dict[str, Decimal | None], lines: Sequence[InvoiceLine]) -> None:
    """Set `given`'s subtotal, tax and total to the lines' sums; a given one that differs is
    refused (422), naming the sum."""
    derived = dict(zip(TOTAL_FIELDS, pricing.totals(lines), strict=True))
    if abs(derived["total"]) > MONEY_MAX or abs(derived["subtotal"]) > MONEY_MAX:
        raise InvalidInput(
            [FieldError("lines", f"The invoice's total is over {MONEY_MAX}", "range")]
        )
    errors = [
        FieldError(name, f"{name} must be the sum of the invoice's lines ({derived[name]})")
        for name, value in given.items()
        if value is not None and value != derived[name]
    ]
    if errors:
        raise InvalidInput(errors)
    given.update(derived)


def _lines_save(invoice: Invoice, lines: Sequence[InvoiceLine]) -> None:
    for line in lines:
        line.invoice = invoice
    InvoiceLine.objects.bulk_create(lines)


def _lines_change(
    before: Sequence[InvoiceLine | pricing.Priced], after: Sequence[InvoiceLine | pricing.Priced]
) -> dict[str, list[Any]] | None:
    """The invoice event's `lines` change (None: they did not change)."""
    old, new = pricing.lines_snapshot(before), pricing.lines_snapshot(after)
    return None if old == new else {"lines": [old or None, new]}


def _number(year: int, sequence: int) -> str:
    return f"INV-{year}-{sequence:06d}"


@transaction.atomic
def invoice_numbers_reserve(ctx: Ctx, *, year: int, count: int) -> list[str]:
    """`count` consecutive numbers of `year` for a bulk import of sent invoices (demo volume
    data); gap-free only if the caller saves them all in its enclosing transaction."""
    return [_number(year, n) for n in numbers_reserve(ctx, InvoiceCounter, year=year, count=count)]


def _mark_sent(ctx: Ctx, invoice: Invoice) -> list[str]:
    invoice.status = InvoiceStatus.SENT
    year = invoice.issued_date.year
    invoice.number = _number(year, numbers_reserve(ctx, InvoiceCounter, year=year, count=1)[0])
    invoice.sent_at = timezone.now()
    return ["status", "number", "sent_at"]


def _settle_if_nothing_owed(invoice: Invoice) -> list[str]:
    """A sent invoice of 0.00 can never receive a payment (amounts are > 0): it is paid as soon
    as it is sent, so it never turns up as owed or overdue."""
    if invoice.status != InvoiceStatus.SENT or invoice.total != ZERO:
        return []
    return mark_paid(invoice)


@transaction.atomic
def invoice_create(
    ctx: Ctx,
    *,
    customer_id: int,
    property_id: int,
    period_start: datetime.date,
    period_end: datetime.date,
    issued_date: datetime.date,
    subtotal: Decimal | None = None,
    tax: Decimal | None = None,
    total: Decimal | None = None,
    due_date: datetime.date | None = None,
    status: str = InvoiceStatus.SENT,
    notes: str | None = None,
    lines: Sequence[Mapping[str, Any]] | None = None,
) -> Invoice:
    """Create a draft, sent or void invoice; a sent or void one gets its number now (a sent
    one of 0.00 is paid at once). With `lines` its subtotal, tax and total are their sums (given
    ones must agree); without, the v1 rules: the three are given and add up."""
    invoice, new_lines = _invoice_create_checked(
        ctx,
        customer_id=customer_id,
        property_id=property_id,
        period_start=period_start,
        period_end=period_end,
        issued_date=issued_date,
        due_date=due_date,
        subtotal=subtotal,
        tax=tax,
        total=total,
        notes=notes,
        status=status,
        lines=lines,
    )
    if status != InvoiceStatus.DRAFT:
        _mark_sent(ctx, invoice)
    if status == InvoiceStatus.VOID:
        # Numbered and voided in this one transaction, like a sent invoice voided at once.
        invoice.status = InvoiceStatus.VOID
        invoice.voided_at = timezone.now()
        invoice.void_reason = CREATED_VOID_REASON
    _settle_if_nothing_owed(invoice)
    invoice.save()
    _lines_save(invoice, new_lines)
    record_change(ctx, "create", invoice, _lines_change([], new_lines))
    receivables_change(before=None, after=receivables_share(invoice))
    return invoice


def can_invoice_create(ctx: Ctx, **fields: Any) -> ApplicationError | None:
    """Why invoice_create would refuse these fields (None: it would create the invoice)."""
    return refusal(lambda: _invoice_create_checked(ctx, **fields))


def _invoice_create_checked(
    ctx: Ctx,
    *,
    status: str = InvoiceStatus.SENT,
    lines: Sequence[Mapping[str, Any]] | None = None,
    **fields: Any,
) -> tuple[Invoice, list[InvoiceLine]]:
    """The unsaved draft invoice_create starts from and its unsaved lines, once their rules
    hold (contract order)."""
    _check_parties(ctx, customer_id=fields["customer_id"], property_id=fields["property_id"])
    if status not in API_CREATE_STATUSES:
        raise InvalidInput(
            [
                FieldError(
                    "status",
                    "An invoice is created as draft, sent or void: it becomes paid through "
                    "payments",
                    "enum",
                )
            ]
        )
    new_lines = _lines_checked(ctx, lines or [])
    given = {name: fields.pop(name, None) for name in TOTAL_FIELDS}
    if new_lines:
        _totals_from_lines(given, new_lines)
    else:
        missing = [name for name, value in given.items() if value is None]
        if missing:
            raise InvalidInput(
                [
                    FieldError(name, "Field required (or give the invoice lines)", "missing")
                    for name in missing
                ]
            )
    invoice = Invoice(**fields, **given, company=company_of(ctx), status=InvoiceStatus.DRAFT)
    _check_invoice_fields(invoice)
    return invoice, new_lines


@transaction.atomic
def invoice_update(ctx: Ctx, *, invoice: Invoice, data: Mapping[str, Any]) -> Invoice:
    """Change a draft (409 `invoice_not_draft` once it has left draft)."""
    invoice, new_lines = _invoice_update_checked(ctx, invoice=invoice, data=data)
    fields = [name for name in data if name != "lines"]
    change = None
    if new_lines is not None:
        old_lines = list(invoice.lines.all())
        invoice.lines.all().delete()
        _lines_save(invoice, new_lines)
        fields += TOTAL_FIELDS
        change = _lines_change(old_lines, new_lines)
    invoice.save(update_fields=[*dict.fromkeys(fields), "updated_at"])
    record_change(ctx, "update", invoice, change)
    # A draft is not in the running figures: nothing to change there (and no receivables row
    # locked).
    return invoice


def can_invoice_update(
    ctx: Ctx, *, invoice: Invoice, data: Mapping[str, Any]
) -> ApplicationError | None:
    """Why invoice_update would refuse `data` (None: it would save it). Locks the invoice row
    as the update does, so the update made later in the same transaction sees the same state."""
    return refusal(lambda: _invoice_update_checked(ctx, invoice=invoice, data=data))


def _invoice_update_checked(
    ctx: Ctx, *, invoice: Invoice, data: Mapping[str, Any]
) -> tuple[Invoice, list[InvoiceLine] | None]:
    """The locked invoice with `data` set (not saved) and its new lines (None: they stay),
    once the update's rules hold. `lines` replaces every line; an empty list leaves an
    invoice without lines, whose totals are then typed in (v1)."""
    require_updatable(data, UPDATABLE_FIELDS)
    invoice = locked_invoice(ctx, invoice.pk)
    if invoice.status != InvoiceStatus.DRAFT:
        raise Conflict(
            f"Invoice {invoice} is {invoice.status}: only a draft can be changed",
            reason=BillingErrorCode.INVOICE_NOT_DRAFT,
        )
    fields = {name: value for name, value in data.items() if name != "lines"}
    for name, value in fields.items():
        setattr(invoice, name, value)
    if {"customer_id", "property_id"} & set(data):
        _check_parties(ctx, customer_id=invoice.customer_id, property_id=invoice.property_id)
    existing = list(invoice.lines.all())
    new_lines = None if data.get("lines") is None else _lines_checked(ctx, data["lines"], existing)
    derive_from = new_lines if new_lines is not None else existing
    if derive_from:
        given = {name: fields.get(name) for name in TOTAL_FIELDS}
        _totals_from_lines(given, derive_from)
        for name, value in given.items():
            setattr(invoice, name, value)
    _check_invoice_fields(invoice)
    return invoice, new_lines


@transaction.atomic
def invoice_update_notes(ctx: Ctx, *, invoice: Invoice, notes: str | None) -> Invoice:
    """Notes stay editable in every status: they are not part of what was billed."""
    invoice = locked_invoice(ctx, invoice.pk)
    invoice.notes = notes or None
    invoice.save(update_fields=["notes", "updated_at"])
    record_change(ctx, "update", invoice)
    return invoice


def _check_send(invoice: Invoice) -> None:
    if invoice.status != InvoiceStatus.DRAFT:
        raise Conflict(
            f"Invoice {invoice} is {invoice.status}: only a draft can be sent",
            reason=BillingErrorCode.INVOICE_NOT_DRAFT,
        )


def can_invoice_send(ctx: Ctx, *, invoice: Invoice) -> ApplicationError | None:
    """Why invoice_send would refuse `invoice` as it stands (None: it may be sent)."""
    return refusal(lambda: _check_send(invoice))


@transaction.atomic
def invoice_send(ctx: Ctx, *, invoice: Invoice) -> Invoice:
    """Draft -> sent, assigning the next number of the issued date's year; the customer gets
    the invoice by email once the transaction commits (when they have an address)."""
    invoice = locked_invoice(ctx, invoice.pk)
    _check_send(invoice)
    before = receivables_share(invoice)
    fields = _mark_sent(ctx, invoice)
    fields += _settle_if_nothing_owed(invoice)
    invoice.save(update_fields=[*dict.fromkeys(fields), "updated_at"])
    record_change(ctx, "send", invoice)
    receivables_change(before=before, after=receivables_share(invoice))
    if invoice_email_recipient(ctx, invoice=invoice):
        enqueue_on_commit(send_invoice_email, invoice.company_id, invoice.pk)
    return invoice


def invoice_email_recipient(ctx: Ctx, *, invoice: Invoice) -> str | None:
    """Where a sent invoice's email goes: its customer's address (None: no email is sent)."""
    return invoice.customer.email or None


def _check_void(invoice: Invoice) -> None:
    if invoice.status == InvoiceStatus.VOID:
        raise Conflict(
            f"Invoice {invoice} is already void", reason=BillingErrorCode.INVOICE_ALREADY_VOID
        )
    # Reversed payments count as nothing: an invoice whose payments were all reversed can go.
    if invoice.status == InvoiceStatus.PAID or invoice.payments.filter(COUNTED).exists():
        raise Conflict(
            f"Invoice {invoice} has payments and cannot be voided (reverse them first)",
            reason=BillingErrorCode.INVOICE_HAS_PAYMENTS,
        )
    # What a credit settled stays settled: the credit's money is on this invoice.
    if invoice.amount_credited:
        raise Conflict(
            f"Invoice {invoice} has {invoice.amount_credited} of credits applied and cannot be "
            "voided",
            reason=BillingErrorCode.INVOICE_HAS_CREDITS,
        )


def can_invoice_void(ctx: Ctx, *, invoice: Invoice) -> ApplicationError | None:
    """Why invoice_void would refuse `invoice` as it stands (None: it may be voided)."""
    return refusal(lambda: _check_void(invoice))


@transaction.atomic
def invoice_void(ctx: Ctx, *, invoice: Invoice, reason: str) -> Invoice:
    """Void a draft or sent invoice that has no payments; it keeps (or gets) its number."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput([FieldError("reason", "A reason is required to void", "missing")])
    invoice = locked_invoice(ctx, invoice.pk)
    _check_void(invoice)
    before = receivables_share(invoice)  # nothing is paid on it; a draft has no share
    fields = ["status", "voided_at", "void_reason", "updated_at"]
    if invoice.status == InvoiceStatus.DRAFT:
        # A void invoice is numbered like any other that left draft (gap-free sequence).
        fields += _mark_sent(ctx, invoice)
    invoice.status = InvoiceStatus.VOID
    invoice.voided_at = timezone.now()
    invoice.void_reason = reason[:255]
    invoice.save(update_fields=list(dict.fromkeys(fields)))
    record_change(ctx, "void", invoice)
    receivables_change(before=before, after=None)
    return invoice


@transaction.atomic
def invoice_lock(ctx: Ctx, *, invoice_id: int) -> Invoice:
    """The company's invoice, its row locked until the caller's transaction ends (404 when the
    company has no such invoice): for a decision about it that reads other rows first."""
    return locked_invoice(ctx, invoice_id)


def invoice_dispute_set(ctx: Ctx, *, invoice_id: int, disputed: bool) -> Invoice:
    """Mark the invoice disputed (a claim about it is open) or no longer disputed; the caller
    knows which (support.services, from the claims on the invoice)."""
    invoice = locked_invoice(ctx, invoice_id)
    if invoice.disputed != disputed:
        invoice.disputed = disputed
        invoice.save(update_fields=["disputed", "updated_at"])
        record_change(ctx, "dispute" if disputed else "undispute", invoice)
    return invoice


def invoice_amount_paid(ctx: Ctx, invoice: Invoice) -> Decimal:
    return settlement.amount_paid(invoice)


def _payment_input(
    *,
    amount: Decimal,
    paid_date: datetime.date | None = None,
    method: str = PaymentMethod.OTHER,
    reference: str | None = None,
) -> tuple[datetime.date, str | None]:
    """The payment's field rules (422); its paid date (today when not given) and reference."""
    errors = money_errors(amount=amount)
    if not errors and amount <= 0:
        errors.append(FieldError("amount", "Amount must be greater than 0"))
    if method not in PaymentMethod.values:
        errors.append(FieldError("method", f"Method must be one of {', '.join(PaymentMethod)}"))
    # The company's day (settings.TIME_ZONE, whatever zone a request may have activated): a
    # payment received tomorrow is not yet money in.
    today = timezone.localdate(timezone=timezone.get_default_timezone())
    paid_date = paid_date or today
    if paid_date > today:
        errors.append(
            FieldError(
                "paid_date",
                f"paid_date {paid_date} is after today ({today}): record a payment once it is "
                "received",
            )
        )
    reference = (reference or "").strip() or None
    if reference is not None and len(reference) > 80:
        errors.append(FieldError("reference", "Ensure this field has no more than 80 characters."))
    if errors:
        raise InvalidInput(errors)
    return paid_date, reference


def _check_payment_fits(
    invoice: Invoice,
    *,
    paid: Decimal,
    amount: Decimal,
    reference: str | None,
    pending_references: Sequence[str] = (),
) -> None:
    """The invoice's rules for one more payment, given what is `paid` on it so far (and its
    credits applied, on the row)."""
    if invoice.status == InvoiceStatus.PAID:
        raise Conflict(
            f"Invoice {invoice} is already paid", reason=BillingErrorCode.INVOICE_ALREADY_PAID
        )
    if invoice.status == InvoiceStatus.VOID:
        raise ApplicationError(
            f"Invoice {invoice} is void and cannot be paid",
            reason=BillingErrorCode.INVOICE_VOID,
            status=400,
        )
    # MySQL's collation compares references case-insensitively; make SQLite agree.
    if reference and (
        reference.lower() in (other.lower() for other in pending_references)
        or invoice.payments.filter(COUNTED, reference__iexact=reference).exists()
    ):
        raise Conflict(
            f"A payment with reference {reference!r} is already recorded on invoice {invoice}",
            reason=BillingErrorCode.DUPLICATE_PAYMENT_REFERENCE,
        )
    balance = settlement.balance(invoice, paid)
    if amount > balance:
        credited = f", credited {invoice.amount_credited}" if invoice.amount_credited else ""
        raise Conflict(
            f"A payment of {amount} exceeds the balance due of {balance} on invoice {invoice} "
            f"(total {invoice.total}, already paid {paid}{credited})",
            reason=BillingErrorCode.PAYMENT_EXCEEDS_TOTAL,
            # v1's details, and what credits settled when there is any.
            extra={
                "amount_paid": str(paid),
                "balance_due": str(balance),
                **({"amount_credited": str(invoice.amount_credited)} if credited else {}),
            },
        )


def can_payments_record(
    ctx: Ctx, *, invoice_id: int, payments: Sequence[Mapping[str, Any]]
) -> ApplicationError | None:
    """Why payment_record would refuse one of `payments` (its keyword arguments but the
    invoice), recorded one after the other on the invoice (None: it would take them all).
    Locks the invoice row as payment_record does, for the rest of the transaction."""

    def check() -> None:
        invoice = locked_invoice(ctx, invoice_id)
        paid = invoice_amount_paid(ctx, invoice)
        references: list[str] = []
        for payment in payments:
            amount = payment["amount"]
            _, reference = _payment_input(
                **{name: value for name, value in payment.items() if name != "notes"}
            )
            _check_payment_fits(
                invoice,
                paid=paid,
                amount=amount,
                reference=reference,
                pending_references=references,
            )
            paid += amount
            references += [reference] if reference else []
            # As recording it would; never saved here.
            settlement.settle_if_covered(invoice, paid)

    return refusal(check)


@transaction.atomic
def payment_record(
    ctx: Ctx,
    *,
    invoice_id: int,
    amount: Decimal,
    paid_date: datetime.date | None = None,
    method: str = PaymentMethod.OTHER,
    reference: str | None = None,
    notes: str | None = None,
    overpayment: str | None = None,
) -> Payment:
    """Record a payment under the invoice's row lock, applying the contract's rules in order.

    A payment above the invoice's balance is refused (409 payment_exceeds_total), unless
    `overpayment="credit"`: then the payment row records the part the invoice owed (it settles
    it; amount_paid never exceeds what the invoice owed) and the rest becomes the customer's
    credit (billing.credits.credit_from_overpayment, linked to the payment); what was received
    is the payment's amount plus its credit's."""
    paid_date, reference = _payment_input(
        amount=amount, paid_date=paid_date, method=method, reference=reference
    )
    if overpayment not in (None, OVERPAYMENT_CREDIT):
        raise InvalidInput(
            [FieldError("overpayment", f"overpayment is {OVERPAYMENT_CREDIT!r} or absent", "enum")]
        )
    invoice = locked_invoice(ctx, invoice_id)
    paid = invoice_amount_paid(ctx, invoice)
    owed = settlement.balance(invoice, paid)
    excess = ZERO
    if overpayment == OVERPAYMENT_CREDIT and ZERO < owed < amount:
        excess = amount - owed
    _check_payment_fits(invoice, paid=paid, amount=amount - excess, reference=reference)

    before = receivables_share(invoice, paid)
    with conflict_on_integrity(DUPLICATE_REFERENCE):
        payment = Payment.objects.create(
            company_id=invoice.company_id,
            invoice=invoice,
            amount=amount - excess,
            paid_date=paid_date,
            method=method,
            reference=reference,
            notes=notes or None,
        )
    record_change(ctx, "create", payment)

    fields: list[str] = []
    if invoice.status == InvoiceStatus.DRAFT:
        fields += _mark_sent(ctx, invoice)
    fields += settlement.settle_if_covered(invoice, paid + payment.amount)
    received = settlement.received(invoice, paid_date, paid=payment.amount)
    if fields or received:
        invoice.save(update_fields=[*dict.fromkeys(fields + received), "updated_at"])
    if fields:
        # A payment on a draft sends it (its number); the one that settles it pays it.
        record_change(ctx, "pay" if invoice.status == InvoiceStatus.PAID else "send", invoice)
    if excess:
        # Once a draft is sent: the credit's reason names the invoice by its number.
        credits.credit_from_overpayment(ctx, payment=payment, amount=excess)
    receivables_change(before=before, after=receivables_share(invoice, paid + payment.amount))
    return payment


@transaction.atomic
def payment_reverse(ctx: Ctx, *, payment_id: int, reason: str) -> Payment:
    """Reverse a wrong payment: it stays on record, marked with who reversed it (ctx.user,
    when a user acts), when and why, and counts as nothing from then on; a paid invoice goes
    back to sent. Locks the invoice row first, as payment_record does, so a reversal and a
    payment on the same invoice are applied one after the other. Its overpayment credit, if
    any, is taken back with it, and refuses the reversal (409 payment_credit_applied) once any
    of it is applied (billing.credits.overpayment_take_back)."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(
            [FieldError("reason", "A reason is required to reverse a payment", "missing")]
        )
    if len(reason) > REVERSAL_REASON_MAX:
        raise InvalidInput(
            [
                FieldError(
                    "reason",
                    f"Ensure this field has no more than {REVERSAL_REASON_MAX} characters.",
                    "string_too_long",
                )
            ]
        )
    invoice_id = (
        Payment.objects.of(ctx).filter(pk=payment_id).values_list("invoice_id", flat=True).first()
    )
    if invoice_id is None:
        raise NotFound("Payment", reason=BillingErrorCode.PAYMENT_NOT_FOUND)
    invoice = locked_invoice(ctx, invoice_id)
    payment = (
        Payment.objects.of(ctx).select_for_update().select_related("reversed_by").get(pk=payment_id)
    )
    if payment.reversed_at is not None:
        who = f" by {payment.reversed_by}" if payment.reversed_by else ""
        raise Conflict(
            f"The payment of {payment.amount} on invoice {invoice} was already reversed on "
            f"{timezone.localdate(payment.reversed_at)}{who}: {payment.reversal_reason}",
            reason=BillingErrorCode.PAYMENT_ALREADY_REVERSED,
        )
    credits.overpayment_take_back(ctx, payment=payment, reason=reason)
    paid = invoice_amount_paid(ctx, invoice)
    before = receivables_share(invoice, paid)
    payment.reversed_at = timezone.now()
    # ctx.user is the project's user model (AUTH_USER_MODEL); core cannot name it.
    payment.reversed_by = cast(User | None, ctx.user)
    payment.reversal_reason = reason
    payment.counted = None  # out of the unique reference constraint (see Payment.counted)
    payment.save(update_fields=["reversed_at", "reversed_by", "reversal_reason", "counted"])
    record_change(ctx, "reverse", payment)
    reopened = settlement.reopen(invoice) if invoice.status == InvoiceStatus.PAID else []
    fields = reopened + settlement.recount_received(invoice)
    if fields:
        invoice.save(update_fields=[*fields, "updated_at"])
    if reopened:
        record_change(ctx, "reopen", invoice)
    receivables_change(before=before, after=receivables_share(invoice, paid - payment.amount))
    return payment


# --- billing runs (the rules: billing/runs.py) -------------------------------------------------

# Properties billed per transaction: each batch locks its properties, re-reads what is billed
# by now, writes and commits, so a long run shows progress, keeps what it did should it stop,
# and a run at the same time waits for the batch it overlaps, then finds it billed.
RUN_BATCH = 500


@dataclass
class RunResult:
    """What a run did (or, dry, would do): the contract's answer."""

    period: datetime.date
    dry_run: bool
    run_id: int | None = None
    invoices_created: int = 0
    invoice_ids: list[int] = field(default_factory=list)
    lines_created: int = 0
    total: Decimal = ZERO
    skipped: list[dict[str, Any]] = field(default_factory=list)


@transaction.atomic
def billing_run_queue(
    ctx: Ctx,
    *,
    period: datetime.date,
    send: bool = False,
    issued_date: datetime.date | None = None,
    auto_apply_credits: bool = False,
) -> BillingRun:
    """A run of `period`'s month for the worker (billing.tasks.run_billing), started once this
    transaction commits; its page follows it."""
    _check_auto_apply(send=send, auto_apply_credits=auto_apply_credits)
    run = _run_row(
        ctx,
        period=period,
        send=send,
        issued_date=issued_date,
        status=RunStatus.QUEUED,
        auto_apply_credits=auto_apply_credits,
    )
    enqueue_on_commit(run_billing, run.company_id, run.pk)
    return run


def _check_auto_apply(*, send: bool, auto_apply_credits: bool) -> None:
    """Credits apply to sent invoices: a run applies them to the invoices it sends."""
    if auto_apply_credits and not send:
        raise InvalidInput(
            [
                FieldError(
                    "auto_apply_credits",
                    "Credits apply to sent invoices: a run applies them only with send (its "
                    "drafts get none; apply credits to them once they are sent)",
                )
            ]
        )


def _run_row(
    ctx: Ctx,
    *,
    period: datetime.date,
    send: bool,
    issued_date: datetime.date | None,
    status: str,
    auto_apply_credits: bool = False,
) -> BillingRun:
    user = ctx.user
    with transaction.atomic():
        run = BillingRun.objects.create(
            company=company_of(ctx),
            period=runs.month_of(period)[0],
            send=send,
            auto_apply_credits=auto_apply_credits,
            issued_date=issued_date or company_today(ctx),
            status=status,
            started_by_id=user.pk if user is not None else None,
            actor=ctx.audit_actor,
        )
        record_change(ctx, "create", run)
    return run


def billing_run(
    ctx: Ctx,
    *,
    period: datetime.date,
    dry_run: bool = False,
    send: bool = False,
    issued_date: datetime.date | None = None,
    run_id: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    auto_apply_credits: bool = False,
) -> RunResult:
    """Bill `period`'s month (billing.runs has the rules): one invoice per property (and
    customer) for what is not billed yet, a draft (sent, with `send`), issued on `issued_date`
    (today in the company's zone) and due after the company's payment terms. A later run of the
    month adds to its own draft of a property instead of making a second one.

    Exactly once by the database: each plan month, visit fee and visit line is a unique key of
    InvoiceLine, and each batch of properties is locked before what they bill is read again,
    so reruns and runs at once bill nothing twice (a rerun lists it as `already_billed`).

    With `auto_apply_credits` (and `send`: 422 without, credits apply to sent invoices) each
    customer's open credits are applied to the invoices the run sends, oldest credit first,
    through billing.credits.credit_apply, in each batch's transaction.

    Not one transaction: each batch of RUN_BATCH properties commits on its own (see RUN_BATCH),
    with the run's figures (BillingRun, created first, or `run_id`'s queued row), and
    `progress(done, total)` is told after each. A dry run writes nothing and answers the
    same figures."""
    _check_auto_apply(send=send, auto_apply_credits=auto_apply_credits)
    if dry_run:
        issued = issued_date or company_today(ctx)
        billing = runs.billing_plan(ctx, period=period, issued_date=issued)
        groups = _grouped(billing.lines)
        drafts = _run_drafts(ctx, billing, [key[0] for key in groups], lock=False)
        return RunResult(
            period=billing.first,
            dry_run=True,
            invoices_created=sum(1 for key in groups if key not in drafts),
            lines_created=len(billing.lines),
            total=sum((line.amount + line.tax for line in billing.lines), ZERO),
            skipped=billing.skipped,
        )
    if run_id is None:
        run = _run_row(
            ctx,
            period=period,
            send=send,
            issued_date=issued_date,
            status=RunStatus.RUNNING,
            auto_apply_credits=auto_apply_credits,
        )
    else:
        run = BillingRun.objects.of(ctx).get(pk=run_id)
        BillingRun.objects.of(ctx).filter(pk=run.pk).update(status=RunStatus.RUNNING)
    try:
        return _billing_run_batches(ctx, run, progress)
    except Exception as exc:
        BillingRun.objects.of(ctx).filter(pk=run.pk).update(
            status=RunStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise


def _billing_run_batches(
    ctx: Ctx, run: BillingRun, progress: Callable[[int, int], None] | None
) -> RunResult:
    billing = runs.billing_plan(ctx, period=run.period, issued_date=run.issued_date)
    groups = _grouped(billing.lines)
    keys = sorted(groups)
    result = RunResult(period=billing.first, dry_run=False, run_id=run.pk)
    result.skipped = list(billing.skipped)
    BillingRun.objects.of(ctx).filter(pk=run.pk).update(properties_total=len(keys))
    for start in range(0, len(keys), RUN_BATCH):
        batch = {key: groups[key] for key in keys[start : start + RUN_BATCH]}
        _bill_batch(ctx, run, billing, batch, result)
        if progress is not None:
            progress(min(start + RUN_BATCH, len(keys)), len(keys))
    BillingRun.objects.of(ctx).filter(pk=run.pk).update(
        status=RunStatus.DONE,
        invoice_ids=result.invoice_ids,
        skipped=result.skipped,
        finished_at=timezone.now(),
    )
    return result


GroupKey = tuple[int, int]  # (property_id, customer_id)


def _grouped(lines: Iterable[runs.Billable]) -> dict[GroupKey, list[runs.Billable]]:
    groups: dict[GroupKey, list[runs.Billable]] = {}
    for line in lines:
        groups.setdefault((line.property_id, line.customer_id), []).append(line)
    return groups


def _run_drafts(
    ctx: Ctx, billing: runs.Billing, property_ids: Sequence[int], *, lock: bool
) -> dict[GroupKey, Invoice]:
    """The drafts earlier runs made for these properties and this month (a run adds to them)."""
    drafts = Invoice.objects.of(ctx).filter(
        property_id__in=property_ids,
        billing_run__isnull=False,
        status=InvoiceStatus.DRAFT,
        period_start=billing.first,
        period_end=billing.last,
    )
    if lock:
        drafts = drafts.select_for_update()
    return {(draft.property_id, draft.customer_id): draft for draft in drafts.order_by("id")}


def _bill_batch(
    ctx: Ctx,
    run: BillingRun,
    billing: runs.Billing,
    batch: dict[GroupKey, list[runs.Billable]],
    result: RunResult,
) -> None:
    """Bill one batch of properties in one transaction, set-based: one insert of its new
    invoices, one read of their ids, one insert of its lines, one of its events."""
    company = company_of(ctx)
    with transaction.atomic():
        property_ids = sorted({key[0] for key in batch})
        # Locked in id order (every run takes them so): a run at the same time waits here.
        list(
            Property.objects.of(ctx)
            .select_for_update()
            .filter(pk__in=property_ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        everything = [line for lines in batch.values() for line in lines]
        taken = runs.billed_already(ctx, everything, billing.first)
        skipped: list[dict[str, Any]] = []
        fresh: dict[GroupKey, list[runs.Billable]] = {}
        for index, line in enumerate(everything):
            if index in taken:
                entry = {**line.skip_key, "reason": runs.SkipReason.ALREADY_BILLED}
                if entry not in skipped:
                    skipped.append(entry)
            else:
                fresh.setdefault((line.property_id, line.customer_id), []).append(line)
        drafts = _run_drafts(ctx, billing, property_ids, lock=True)
        common = _run_invoice_values(company, run, billing)
        new_invoices = {
            key: _run_invoice_row(common, key, lines)
            for key, lines in fresh.items()
            if key not in drafts
        }
        insert_many(
            Invoice,
            _INVOICE_FIELDS,
            ([values[name] for name in _INVOICE_FIELDS] for values in new_invoices.values()),
        )
        created = _run_invoice_ids(ctx, run, property_ids, new_invoices)
        ids = {**{key: draft.pk for key, draft in drafts.items()}, **created}
        before = _draft_lines(ctx, [drafts[key] for key in fresh if key in drafts])
        insert_many(
            InvoiceLine,
            _LINE_FIELDS,
            (
                _run_line_row(
                    line, company_id=company.pk, invoice_id=ids[key], at=common["created_at"]
                )
                for key, lines in fresh.items()
                for line in lines
            ),
        )
        record_many(
            ctx,
            "create",
            (
                (
                    (_INVOICE_EVENT_TYPE, created[key]),
                    {
                        **diff(None, snapshot_values(Invoice, values)),
                        **(_lines_change([], fresh[key]) or {}),
                    },
                )
                for key, values in new_invoices.items()
            ),
        )
        for key, lines in fresh.items():
            if key in drafts:
                _draft_add_lines(ctx, drafts[key], before.get(drafts[key].pk, []), lines)
        touched = [ids[key] for key in fresh]
        if run.send:
            # Locked before the sends take the counter and receivables rows (billing.credits'
            # lock order); the batch already holds its invoices.
            open_credits = (
                credits.credits_lock_open(ctx, customer_ids=[key[1] for key in fresh])
                if run.auto_apply_credits
                else {}
            )
            unsent = Invoice.objects.of(ctx).in_bulk(touched)
            for invoice_id in touched:
                invoice_send(ctx, invoice=unsent[invoice_id])
            if open_credits:
                credits.credits_auto_apply(ctx, invoice_ids=touched, open_credits=open_credits)
        lines_created = sum(len(lines) for lines in fresh.values())
        total = sum((line.amount + line.tax for lines in fresh.values() for line in lines), ZERO)
        BillingRun.objects.of(ctx).filter(pk=run.pk).update(
            properties_done=F("properties_done") + len(batch),
            invoices_created=F("invoices_created") + len(created),
            lines_created=F("lines_created") + lines_created,
            total=F("total") + total,
        )
    result.invoices_created += len(created)
    result.lines_created += lines_created
    result.total += total
    result.invoice_ids += touched
    result.skipped += skipped


# The columns a run writes, in the models' order (the ids come from the database).
_INVOICE_FIELDS = [f.attname for f in Invoice._meta.concrete_fields if not f.primary_key]
_LINE_FIELDS = [f.attname for f in InvoiceLine._meta.concrete_fields if not f.primary_key]
_INVOICE_EVENT_TYPE = Invoice._meta.model_name or "invoice"


def _run_invoice_values(company: Any, run: BillingRun, billing: runs.Billing) -> dict[str, Any]:
    """What every draft of a run's batch has in common: an unsaved draft's values (the
    fields' defaults included) and the moment it is written."""
    template = Invoice(
        company=company,
        period_start=billing.first,
        period_end=billing.last,
        status=InvoiceStatus.DRAFT,
        issued_date=run.issued_date,
        due_date=run.issued_date + datetime.timedelta(days=company.payment_terms_days),
        subtotal=ZERO,
        total=ZERO,
        billing_run=run,
    )
    now = timezone.now()
    values = {name: getattr(template, name) for name in _INVOICE_FIELDS}
    return {**values, "created_at": now, "updated_at": now}


def _run_invoice_row(
    common: Mapping[str, Any], key: GroupKey, lines: Sequence[runs.Billable]
) -> dict[str, Any]:
    """A new draft's values: the batch's, its property and customer, its lines' totals."""
    subtotal, tax, total = pricing.totals(lines)
    return {
        **common,
        "property_id": key[0],
        "customer_id": key[1],
        "subtotal": subtotal,
        "tax": tax,
        "total": total,
    }


def _run_invoice_ids(
    ctx: Ctx, run: BillingRun, property_ids: Sequence[int], new: Mapping[GroupKey, Any]
) -> dict[GroupKey, int]:
    """The ids of the drafts a batch just inserted, read back by what is unique among them:
    the run and the property (and customer)."""
    if not new:
        return {}
    rows = Invoice.objects.of(ctx).filter(billing_run=run, property_id__in=property_ids)
    return {
        (property_id, customer_id): invoice_id
        for invoice_id, property_id, customer_id in rows.values_list(
            "id", "property_id", "customer_id"
        )
        if (property_id, customer_id) in new
    }


def _run_line_row(
    line: runs.Billable, *, company_id: int, invoice_id: int, at: datetime.datetime
) -> list[Any]:
    """A billed line's values in _LINE_FIELDS order."""
    placed = {"company_id": company_id, "invoice_id": invoice_id, "created_at": at}
    return [placed[name] if name in placed else getattr(line, name) for name in _LINE_FIELDS]


def _draft_lines(ctx: Ctx, drafts: Sequence[Invoice]) -> dict[int, list[InvoiceLine]]:
    """The lines the drafts have now, by draft id (one query)."""
    lines: dict[int, list[InvoiceLine]] = {}
    if drafts:
        rows = InvoiceLine.objects.of(ctx).filter(invoice__in=drafts).order_by("id")
        for line in rows:
            lines.setdefault(line.invoice_id, []).append(line)
    return lines


def _draft_add_lines(
    ctx: Ctx, draft: Invoice, before: Sequence[InvoiceLine], lines: Sequence[runs.Billable]
) -> None:
    """A run's draft of the month gets the lines billed since (its totals follow)."""
    subtotal, tax, total = pricing.totals([*before, *lines])
    draft.subtotal, draft.tax, draft.total = subtotal, tax, total
    draft.save(update_fields=["subtotal", "tax", "total", "updated_at"])
    record_change(ctx, "update", draft, _lines_change(before, [*before, *lines]))
