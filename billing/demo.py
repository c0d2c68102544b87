"""Demo and volume data for billing; `manage.py seed_demo` calls these after customers.demo.

Wiring: add "billing.demo" after "customers.demo" to DEMO_MODULES in
ektor/management/commands/seed_demo.py. Both functions are idempotent: an invoice is known by
its natural key (property label, period start, period end), a payment by (invoice, reference).
"""

import datetime
import random
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from billing import services
from billing.models import Invoice, InvoiceStatus, Payment, PaymentMethod
from customers.models import Property

CENT = Decimal("0.01")
TAX_RATE = Decimal("0.115")
# Volume data: weekly invoices of these weeks for every synthetic property.
SCALE_WEEKS = [datetime.date(2025, 9, 1) + datetime.timedelta(weeks=n) for n in range(4)]


def _date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def _find(label: str, start: datetime.date, end: datetime.date) -> Invoice | None:
    return Invoice.objects.filter(property__label=label, period_start=start, period_end=end).first()


def load(data: Mapping[str, Any], *, stdout) -> None:
    """Create the file's invoices and record its payments, through billing.services.

    Needs the file's properties (found by label). Invoices are created as the file says (sent
    or draft; `void` ones are then voided); those its payments settle become paid by recording
    the payments with payment_record, exactly as in real use. The statuses are then checked
    against the file (ValueError on a mismatch).
    """
    periods: dict[str, tuple[datetime.date, datetime.date]] = {}
    created = 0
    for row in data.get("invoices", []):
        label = row["property_label"]
        periods[label] = (_date(row["period_start"]), _date(row["period_end"]))
        if _find(label, *periods[label]) is not None:
            continue
        prop = Property.objects.get(label=label)
        invoice = services.invoice_create(
            customer_id=prop.customer_id,
            property_id=prop.pk,
            period_start=periods[label][0],
            period_end=periods[label][1],
            issued_date=_date(row["issued_date"]),
            due_date=_date(row.get("due_date")),
            subtotal=Decimal(row["subtotal"]),
            tax=Decimal(row["tax"]),
            total=Decimal(row["total"]),
            status=InvoiceStatus.DRAFT if row["status"] == "draft" else InvoiceStatus.SENT,
            notes=row.get("notes"),
        )
        if row["status"] == InvoiceStatus.VOID:
            services.invoice_void(invoice=invoice, reason="Void in the demo data")
        created += 1
    stdout.write(f"invoices: {created} created, {len(periods) - created} kept")

    recorded = 0
    payments = data.get("payments", [])
    for row in payments:
        invoice = _find(row["invoice_property_label"], *periods[row["invoice_property_label"]])
        if invoice.payments.filter(reference=row.get("reference")).exists():
            continue
        services.payment_record(
            invoice_id=invoice.pk,
            amount=Decimal(row["amount"]),
            paid_date=_date(row["paid_date"]),
            method=row.get("method", PaymentMethod.OTHER),
            reference=row.get("reference"),
            notes=row.get("notes"),
        )
        recorded += 1
    stdout.write(f"payments: {recorded} recorded, {len(payments) - recorded} kept")
    _check_statuses(data, periods)


def _check_statuses(data: Mapping[str, Any], periods: dict[str, tuple]) -> None:
    paid: dict[str, Decimal] = {}
    for row in data.get("payments", []):
        label = row["invoice_property_label"]
        paid[label] = paid.get(label, Decimal("0")) + Decimal(row["amount"])
    for row in data.get("invoices", []):
        label = row["property_label"]
        invoice = _find(label, *periods[label])
        # The file lists invoices as issued; those its payments settle in full end up paid.
        expected = InvoiceStatus.PAID if paid.get(label) == Decimal(row["total"]) else row["status"]
        if invoice.status != expected:
            raise ValueError(f"demo invoice of {label} is {invoice.status}, expected {expected}")


def scale(ctx) -> None:
    """Weekly invoices (SCALE_WEEKS, before the demo's own week) for every property, after
    customers.demo.scale made the synthetic ones: about a third paid in full, a third half
    paid, a third unpaid. Bulk inserts per batch of `ctx.batch_size` properties; the numbers
    come from the counter and stay gap-free because each batch commits as a whole."""
    property_ids = list(Property.objects.order_by("pk").values_list("pk", flat=True))
    invoices = payments = 0
    for start in range(0, len(property_ids), ctx.batch_size):
        with transaction.atomic():
            made = _scale_batch(property_ids[start : start + ctx.batch_size])
        invoices, payments = invoices + made[0], payments + made[1]
        ctx.stdout.write(
            f"invoices: {min(start + ctx.batch_size, len(property_ids))}/{len(property_ids)} "
            f"properties ({invoices} invoices, {payments} payments created)"
        )


def _scale_batch(property_ids: list[int]) -> tuple[int, int]:
    existing = set(
        Invoice.objects.filter(
            property_id__in=property_ids, period_start__in=SCALE_WEEKS
        ).values_list("property_id", "period_start")
    )
    owners = dict(Property.objects.filter(pk__in=property_ids).values_list("pk", "customer_id"))
    wanted = [
        (pid, week) for pid in property_ids for week in SCALE_WEEKS if (pid, week) not in existing
    ]
    numbers = services.invoice_numbers_reserve(year=SCALE_WEEKS[0].year, count=len(wanted))
    now = timezone.now()
    rows, paid_amounts = [], {}
    for (property_id, week), number in zip(wanted, numbers, strict=True):
        # Same rows for the same property and week, whatever the batch.
        rng = random.Random(f"ektor-billing-{property_id}-{week}")  # noqa: S311 (test data)
        subtotal = Decimal(rng.choice((50, 70, 100, 120, 150, 250))).quantize(CENT)
        tax = (subtotal * TAX_RATE).quantize(CENT)
        end = week + datetime.timedelta(days=6)
        share = rng.choice((Decimal(1), Decimal("0.5"), Decimal(0)))
        amount = ((subtotal + tax) * share).quantize(CENT)
        rows.append(
            Invoice(
                number=number,
                customer_id=owners[property_id],
                property_id=property_id,
                period_start=week,
                period_end=end,
                issued_date=end,
                due_date=end + datetime.timedelta(days=14),
                subtotal=subtotal,
                tax=tax,
                total=subtotal + tax,
                status=InvoiceStatus.PAID if share == 1 else InvoiceStatus.SENT,
                sent_at=now,
                paid_at=now if share == 1 else None,
                notes="Weekly billing (volume data)",
            )
        )
        if amount:
            paid_amounts[number] = (amount, end + datetime.timedelta(days=3))
    Invoice.objects.bulk_create(rows)
    # MySQL does not return the ids of a bulk insert: read them back by number.
    ids = dict(Invoice.objects.filter(number__in=paid_amounts).values_list("number", "id"))
    Payment.objects.bulk_create(
        Payment(
            invoice_id=ids[number],
            amount=amount,
            paid_date=paid_date,
            method=PaymentMethod.ATH_MOVIL,
            reference=f"ATH-{number}",
        )
        for number, (amount, paid_date) in paid_amounts.items()
    )
    return len(rows), len(paid_amounts)
