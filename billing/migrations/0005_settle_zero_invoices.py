"""Settle the sent invoices of 0.00 written before services settled them on sending (nothing can
be paid on them, so they stayed `sent` and turned up as overdue): they become `paid`, and leave
the running figures (InvoiceTally counts sent invoices only; they add 0.00 to its amounts).
Reversing it is a no-op: which paid invoices were settled here is not recorded."""

import datetime

from django.db import migrations
from django.db.models import Count, F
from django.utils import timezone

# billing.models.NO_DUE_DATE when this was written: sent invoices without a due date.
NO_DUE_DATE = datetime.date.max


def settle(apps, schema_editor):
    Invoice = apps.get_model("billing", "Invoice")
    InvoiceTally = apps.get_model("billing", "InvoiceTally")
    zero = Invoice.objects.filter(status="sent", total=0)
    for group in zero.order_by().values("due_date").annotate(n=Count("id")):
        due_by = NO_DUE_DATE if group["due_date"] is None else group["due_date"]
        InvoiceTally.objects.filter(status="sent", due_by=due_by).update(
            invoice_count=F("invoice_count") - group["n"]
        )
    zero.update(status="paid", paid_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0004_fill_invoice_tally"),
    ]

    operations = [
        migrations.RunPython(settle, migrations.RunPython.noop),
    ]
