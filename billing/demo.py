"""Demo data for billing, called by the `seed_demo` command after customers and properties.

Everything goes through billing.services, so demo rows obey the same rules as real ones (the
paid invoices of demo.json become paid by recording their payments). Both loaders are
idempotent: an invoice is known by its natural key (property label, period start, period end),
a payment by (that invoice, reference).
"""

import datetime
from decimal import Decimal
from typing import IO, Any

from billing import services
from billing.models import Invoice, InvoiceStatus
from customers.models import Property


def _find(label: str, period_start: datetime.date, period_end: datetime.date) -> Invoice | None:
    return Invoice.objects.filter(
        property__label=label, period_start=period_start, period_end=period_end
    ).first()


def load(data: dict[str, Any], stdout: IO[str]) -> None:
    """Load `data["invoices"]` and `data["payments"]` (the shape of ektor/demo/demo.json).

    Needs the customers and properties of the same file loaded first (properties are found by
    label). Invoices are created as sent (or draft), `void` ones are voided with a demo reason;
    `paid` comes from recording the payments, and the statuses are checked against the file at
    the end (a mismatch raises ValueError).
    """
    created = 0
    periods: dict[str, tuple[datetime.date, datetime.date]] = {}
    for row in data.get("invoices", []):
        start = datetime.date.fromisoformat(row["period_start"])
        end = datetime.date.fromisoformat(row["period_end"])
        periods[row["property_label"]] = (start, end)
        if _find(row["property_label"], start, end) is not None:
            continue
        prop = Property.objects.get(label=row["property_label"])
        invoice = services.invoice_create(
            customer_id=prop.customer_id,
            property_id=prop.pk,
            period_start=start,
            period_end=end,
            issued_date=datetime.date.fromisoformat(row["issued_date"]),
            due_date=datetime.date.fromisoformat(row["due_date"]) if row.get("due_date") else None,
            subtotal=Decimal(row["subtotal"]),
            tax=Decimal(row["tax"]),
            total=Decimal(row["total"]),
            status=InvoiceStatus.DRAFT if row["status"] == InvoiceStatus.DRAFT else "sent",
            notes=row.get("notes"),
        )
        if row["status"] == InvoiceStatus.VOID:
            services.invoice_void(invoice=invoice, reason="Voided in the demo data")
        created += 1

    recorded = 0
    for row in data.get("payments", []):
        invoice = _find(row["invoice_property_label"], *periods[row["invoice_property_label"]])
        if invoice.payments.filter(reference=row.get("reference")).exists():
            continue
        services.payment_record(
            invoice_id=invoice.pk,
            amount=Decimal(row["amount"]),
            paid_date=datetime.date.fromisoformat(row["paid_date"]),
            method=row.get("method", "other"),
            reference=row.get("reference"),
            notes=row.get("notes"),
        )
        recorded += 1

    _check_statuses(data, periods)
    stdout.write(f"billing: {created} invoice(s) and {recorded} payment(s) added\n")


def _check_statuses(data: dict[str, Any], periods: dict[str, tuple]) -> None:
    paid: dict[str, Decimal] = {}
    for row in data.get("payments", []):
        label = row["invoice_property_label"]
        paid[label] = paid.get(label, Decimal("0")) + Decimal(row["amount"])
    for row in data.get("invoices", []):
        label = row["property_label"]
        invoice = _find(label, *periods[label])
        # The file lists invoices as issued; those its payments settle in full end up paid.
        settled = paid.get(label) == Decimal(row["total"])
        expected = InvoiceStatus.PAID if settled else row["status"]
        if invoice.status != expected:
            raise ValueError(f"demo invoice of {label} is {invoice.status}, expected {expected}")


def scale(*, weeks: int, stdout: IO[str]) -> None:
    """Add weekly invoices for every property for `weeks` weeks back from 2025-12-29, and pay
    two of every three (in full, or half for every third paid one), for volume tests.

    Idempotent like `load`: a property's week that already has an invoice is skipped.
    """
    first_monday = datetime.date(2025, 12, 29)
    properties = list(Property.objects.order_by("pk").values_list("pk", "customer_id", "label"))
    invoices = payments = 0
    for week in range(weeks):
        start = first_monday - datetime.timedelta(weeks=week + 1)
        end = start + datetime.timedelta(days=6)
        for n, (property_id, customer_id, label) in enumerate(properties):
            if _find(label, start, end) is not None:
                continue
            subtotal = Decimal(50 + 10 * ((n + week) % 8)).quantize(Decimal("0.01"))
            tax = (subtotal * Decimal("0.115")).quantize(Decimal("0.01"))
            invoice = services.invoice_create(
                customer_id=customer_id,
                property_id=property_id,
                period_start=start,
                period_end=end,
                issued_date=end,
                due_date=end + datetime.timedelta(days=7),
                subtotal=subtotal,
                tax=tax,
                total=subtotal + tax,
                notes="Weekly billing (scaled demo)",
            )
            invoices += 1
            if (n + week) % 3 == 2:
                continue
            amount = invoice.total if (n + week) % 3 == 0 else subtotal / 2
            services.payment_record(
                invoice_id=invoice.pk,
                amount=amount.quantize(Decimal("0.01")),
                paid_date=end + datetime.timedelta(days=2),
                method="ath_movil",
                reference=f"DEMO-{invoice.pk}",
            )
            payments += 1
    stdout.write(f"billing: {invoices} invoice(s) and {payments} payment(s) added at scale\n")
