"""Invoice.settled_on, the day an invoice's balance reached 0.00 (aging as of a day reads only the
invoices not settled by then, through billing_invoice_open_on). Filled for the paid invoices
already there: the latest day of their counted payments and credit applications, or their issued
date when there is none (a 0.00 invoice). Reversing drops the column."""

from django.db import migrations, models
from django.db.models import Max, OuterRef, Subquery
from django.db.models.functions import Coalesce, Greatest


def fill(apps, schema_editor):
    Invoice = apps.get_model("billing", "Invoice")
    Payment = apps.get_model("billing", "Payment")
    CreditApplication = apps.get_model("billing", "CreditApplication")

    def last(model, field, **counted):
        rows = model.objects.filter(invoice=OuterRef("pk"), **counted).order_by()
        latest = rows.values("invoice").annotate(day=Max(field)).values("day")
        return Coalesce(Subquery(latest), "issued_date")

    Invoice.objects.filter(status="paid").update(
        settled_on=Greatest(
            last(Payment, "paid_date", reversed_at__isnull=True),
            last(CreditApplication, "applied_date"),
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0012_credits_reminders"),
        ("customers", "0005_company_newest"),
        ("tenancy", "0003_company_visit_settings"),
    ]

    operations = [
        migrations.AddField(
            model_name="invoice",
            name="settled_on",
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="invoice",
            index=models.Index(
                fields=["company", "settled_on", "issued_date"], name="billing_invoice_open_on"
            ),
        ),
    ]
