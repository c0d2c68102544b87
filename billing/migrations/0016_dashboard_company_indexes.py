"""The dashboard's sums by month (billed, collected, collected this month) read from indexes
alone again: their indexes predate companies, so since every query names its company each
matching row was read to check it (docs/performance.md, "The dashboard's indexes"). Each new
index starts with the company and is built before the one it replaces goes."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0015_aging_covering_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="invoice",
            index=models.Index(
                fields=["company", "issued_date", "status", "total"],
                name="billing_invoice_co_issued",
            ),
        ),
        migrations.AddIndex(
            model_name="payment",
            index=models.Index(
                fields=["company", "paid_date", "reversed_at", "amount"],
                name="billing_payment_co_paid",
            ),
        ),
        migrations.RemoveIndex(model_name="invoice", name="billing_invoice_issued"),
        migrations.RemoveIndex(model_name="payment", name="billing_payment_paid_counted"),
    ]
