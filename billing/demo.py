"""Demo and volume data for billing; `manage.py seed_demo` calls these after customers.demo.

Both functions are idempotent: an invoice is known by its natural key (its property, found by
the file's customer email and label, and its period), a payment by (invoice, reference).
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
from core.context import Ctx
from core.money import CENT, ZERO
from customers.models import Property
from ektor.text import plural
from tenancy.scoping import company_of

TAX_RATE = Decimal("0.115")
# Volume data: monthly invoices over 2025-2026. Each property is billed for SCALE_MONTHS
# consecutive months starting in one of the first SCALE_START_CHOICES months, so the
# invoices spread over the two years and every property has the same count (20 a property:
# 240,000 for 12,000 properties).
SCALE_FIRST_MONTH = datetime.date(2025, 1, 1)
SCALE_START_CHOICES = 5
SCALE_MONTHS = 20
# What share of the volume invoices is settled: 4/8 paid in full, 1/8 half paid, 3/8 open
# (5/8 = 62.5% with a payment: about 150,000 for 240,000 invoices).
SCALE_SHARES = (Decimal(1),) * 4 + (Decimal("0.5"),) + (Decimal(0),) * 3
# Rows a single INSERT carries (keeps statements well under max_allowed_packet).
INSERT_BATCH = 5000


def _month(index: int) -> datetime.date:
    """The first day of the month `index` months after SCALE_FIRST_MONTH."""
    year, month = divmod(SCALE_FIRST_MONTH.month - 1 + index, 12)
    return datetime.date(SCALE_FIRST_MONTH.year + year, month + 1, 1)


SCALE_PERIODS = [_month(n) for n in range(SCALE_START_CHOICES - 1 + SCALE_MONTHS)]


def _date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def _find(ctx: Ctx, prop: Property, start: datetime.date, end: datetime.date) -> Invoice | None:
    invoices = Invoice.objects.of(ctx)
    return invoices.filter(property=prop, period_start=start, period_end=end).first()


def _demo_properties(ctx: Ctx, data: Mapping[str, Any]) -> dict[str, Property]:
    """The file's properties by label (unique in the file), each found by its customer's email
    and its label, so an office property of the same name is never mistaken for it."""
    return {
        row["label"]: Property.objects.of(ctx).get(
            customer__email__iexact=row["customer_email"], label=row["label"]
        )
        for row in data.get("properties", [])
    }


def load(ctx: Ctx, data: Mapping[str, Any], *, stdout) -> None:
    """Create the file's invoices and record its payments, through billing.services.

    Needs the file's properties (customers.demo loads them first). Invoices are created as the
    file says (sent or draft; `void` ones are then voided); those its payments settle become
    paid by recording the payments with payment_record, exactly as in real use. The statuses
    are then checked against the file (ValueError on a mismatch).
    """
    properties = _demo_properties(ctx, data)
    periods: dict[str, tuple[datetime.date, datetime.date]] = {}
    created = 0
    for row in data.get("invoices", []):
        label = row["property_label"]
        prop = properties[label]
        periods[label] = (_date(row["period_start"]), _date(row["period_end"]))
        if _find(ctx, prop, *periods[label]) is not None:
            continue
        invoice = services.invoice_create(
            ctx,
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
            services.invoice_void(ctx, invoice=invoice, reason="Void in the demo data")
        created += 1
    stdout.write(f"invoices: {created} created, {len(periods) - created} kept")

    recorded = 0
    payments = data.get("payments", [])
    for row in payments:
        label = row["invoice_property_label"]
        invoice = _find(ctx, properties[label], *periods[label])
        if invoice.payments.filter(reference=row.get("reference")).exists():
            continue
        services.payment_record(
            ctx,
            invoice_id=invoice.pk,
            amount=Decimal(row["amount"]),
            paid_date=_date(row["paid_date"]),
            method=row.get("method", PaymentMethod.OTHER),
            reference=row.get("reference"),
            notes=row.get("notes"),
        )
        recorded += 1
    stdout.write(f"payments: {recorded} recorded, {len(payments) - recorded} kept")
    _check_statuses(ctx, data, properties, periods)


def _check_statuses(
    ctx: Ctx, data: Mapping[str, Any], properties: dict[str, Property], periods: dict[str, tuple]
) -> None:
    paid: dict[str, Decimal] = {}
    for row in data.get("payments", []):
        label = row["invoice_property_label"]
        paid[label] = paid.get(label, Decimal("0")) + Decimal(row["amount"])
    for row in data.get("invoices", []):
        label = row["property_label"]
        invoice = _find(ctx, properties[label], *periods[label])
        # The file lists invoices as issued; those its payments settle in full end up paid.
        expected = InvoiceStatus.PAID if paid.get(label) == Decimal(row["total"]) else row["status"]
        if invoice.status != expected:
            raise ValueError(f"demo invoice of {label} is {invoice.status}, expected {expected}")


def scale(ctx: Ctx, volume) -> None:
    """Monthly invoices over 2025-2026 (SCALE_MONTHS a property) for every property, after
    customers.demo.scale made the synthetic ones, with payments on 5/8 of them (SCALE_SHARES).
    Bulk inserts per batch of `volume.batch_size` properties; the numbers come from the counter
    of each issued date's year and stay gap-free because each batch commits as a whole."""
    property_ids = list(Property.objects.of(ctx).order_by("pk").values_list("pk", flat=True))
    invoices = payments = 0
    for start in range(0, len(property_ids), volume.batch_size):
        with transaction.atomic():
            made = _scale_batch(ctx, property_ids[start : start + volume.batch_size])
        invoices, payments = invoices + made[0], payments + made[1]
        volume.stdout.write(
            f"invoices: {min(start + volume.batch_size, len(property_ids))}/{len(property_ids)} "
            f"properties ({plural(invoices, 'invoice')}, {plural(payments, 'payment')} created)"
        )


def _scale_months(property_id: int) -> list[datetime.date]:
    # Same months for the same property, whatever the batch.
    rng = random.Random(f"ektor-billing-{property_id}")  # noqa: S311 (test data)
    first = rng.randrange(SCALE_START_CHOICES)
    return SCALE_PERIODS[first : first + SCALE_MONTHS]


def _month_end(start: datetime.date) -> datetime.date:
    following = _month(12 * (start.year - SCALE_FIRST_MONTH.year) + start.month)
    return following - datetime.timedelta(days=1)


def _scale_batch(ctx: Ctx, property_ids: list[int]) -> tuple[int, int]:
    existing = set(
        Invoice.objects.of(ctx)
        .filter(property_id__in=property_ids, period_start__in=SCALE_PERIODS)
        .values_list("property_id", "period_start")
    )
    owners = dict(
        Property.objects.of(ctx).filter(pk__in=property_ids).values_list("pk", "customer_id")
    )
    wanted = [
        (pid, month)
        for pid in property_ids
        for month in _scale_months(pid)
        if (pid, month) not in existing
    ]
    # Issued on the last day of the period, so the year of the number is the period's year.
    numbers: dict[int, list[str]] = {}
    for year in sorted({month.year for _, month in wanted}):
        count = sum(1 for _, month in wanted if month.year == year)
        numbers[year] = services.invoice_numbers_reserve(ctx, year=year, count=count)[::-1]
    now, today = timezone.now(), timezone.localdate()
    rows, paid_amounts = [], {}
    for property_id, month in wanted:
        rng = random.Random(f"ektor-billing-{property_id}-{month}")  # noqa: S311 (test data)
        subtotal = Decimal(rng.choice((50, 70, 100, 120, 150, 250))).quantize(CENT)
        tax = (subtotal * TAX_RATE).quantize(CENT)
        end = _month_end(month)
        share = rng.choice(SCALE_SHARES)
        amount = ((subtotal + tax) * share).quantize(CENT)
        number = numbers[month.year].pop()
        # Never after today, as payment_record requires (these rows bypass it).
        paid_date = (
            min(end + datetime.timedelta(days=rng.randrange(1, 20)), today) if amount else None
        )
        rows.append(
            Invoice(
                company=company_of(ctx),
                number=number,
                customer_id=owners[property_id],
                property_id=property_id,
                period_start=month,
                period_end=end,
                issued_date=end,
                due_date=end + datetime.timedelta(days=14),
                subtotal=subtotal,
                tax=tax,
                total=subtotal + tax,
                status=InvoiceStatus.PAID if share == 1 else InvoiceStatus.SENT,
                sent_at=now,
                paid_at=now if share == 1 else None,
                settled_on=max(end, paid_date) if share == 1 and paid_date else None,
                first_received_on=paid_date,
                last_received_on=paid_date,
                payments_total=amount if paid_date else ZERO,
                notes="Monthly billing (volume data)",
            )
        )
        if paid_date:
            paid_amounts[number] = ((property_id, month), amount, paid_date)
    Invoice.objects.bulk_create(rows, batch_size=INSERT_BATCH)
    # MySQL does not return the ids of a bulk insert: read them back by property and month.
    ids = {
        (property_id, month): pk
        for property_id, month, pk in Invoice.objects.of(ctx)
        .filter(property_id__in=property_ids, period_start__in=SCALE_PERIODS)
        .values_list("property_id", "period_start", "id")
    }
    Payment.objects.bulk_create(
        (
            Payment(
                company=company_of(ctx),
                invoice_id=ids[key],
                amount=amount,
                paid_date=paid_date,
                method=PaymentMethod.ATH_MOVIL,
                reference=f"ATH-{number}",
            )
            for number, (key, amount, paid_date) in paid_amounts.items()
        ),
        batch_size=INSERT_BATCH,
    )
    # Bulk inserts bypass invoice_create and payment_record: add the rows to the running figures.
    services.receivables_add(
        ctx,
        invoices=(
            (row, paid_amounts[row.number][1] if row.number in paid_amounts else ZERO)
            for row in rows
        ),
    )
    return len(rows), len(paid_amounts)
