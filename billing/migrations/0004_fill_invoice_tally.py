"""Fill the running figures (InvoiceTally) from the invoices and payments already there: the
sent invoices by due date with what is paid on them (one read of each table; drafts are not
counted there). Writes made by code older than 0003 after this ran are not counted: after a rolling
release, run `manage.py invoice_tally --fix` once every server runs the new code.

Both role groups get the new model's default permissions, as 0002 gave the others."""

import datetime
from decimal import Decimal

from django.db import migrations
from django.db.models import Count, Sum

from accounts.roles import grant_role_permissions

# billing.models.NO_DUE_DATE when this was written: sent invoices without a due date.
NO_DUE_DATE = datetime.date.max
CENT = Decimal("0.01")


def cents(value) -> Decimal:
    # SQLite sums decimals as floats.
    return Decimal(value or 0).quantize(CENT)


def fill(apps, schema_editor):
    Invoice = apps.get_model("billing", "Invoice")
    Payment = apps.get_model("billing", "Payment")
    InvoiceTally = apps.get_model("billing", "InvoiceTally")
    rows: dict[datetime.date, dict] = {}

    def row(due_date: datetime.date | None) -> dict:
        due_by = NO_DUE_DATE if due_date is None else due_date
        return rows.setdefault(due_by, {"invoice_count": 0, "total": 0, "paid": 0})

    invoices = (
        Invoice.objects.filter(status="sent")
        .order_by()
        .values("due_date")
        .annotate(n=Count("id"), amount=Sum("total"))
    )
    for group in invoices:
        figures = row(group["due_date"])
        figures["invoice_count"] += group["n"]
        figures["total"] += cents(group["amount"])
    # Drafts, paid and void invoices are not counted.
    paid = (
        Payment.objects.filter(invoice__status="sent")
        .order_by()
        .values("invoice__due_date")
        .annotate(amount=Sum("amount"))
    )
    for group in paid:
        row(group["invoice__due_date"])["paid"] += cents(group["amount"])
    InvoiceTally.objects.bulk_create(
        InvoiceTally(status="sent", due_by=due_by, **figures) for due_by, figures in rows.items()
    )


def empty(apps, schema_editor):
    apps.get_model("billing", "InvoiceTally").objects.all().delete()


def grant(apps, schema_editor):
    grant_role_permissions(apps, "billing")


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0003_invoice_tally_payment_paid_amount"),
    ]

    operations = [
        migrations.RunPython(fill, empty),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
