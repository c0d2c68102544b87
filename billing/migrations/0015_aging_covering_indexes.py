# Aging as of a day reads the open invoices and their counted payments from indexes alone
# (docs/performance.md, "Aging"): the new invoice index starts with the old one's columns, so
# it is built before the old one goes and the report always has one of them.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0014_aging_settlement_days"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="invoice",
            index=models.Index(
                fields=[
                    "company",
                    "settled_on",
                    "issued_date",
                    "status",
                    "customer",
                    "due_date",
                    "total",
                    "first_received_on",
                    "amount_credited",
                ],
                name="billing_invoice_aging",
            ),
        ),
        migrations.RemoveIndex(model_name="invoice", name="billing_invoice_open_on"),
        migrations.AddIndex(
            model_name="payment",
            index=models.Index(
                fields=["company", "invoice", "reversed_at", "paid_date", "amount"],
                name="billing_payment_inv_counted",
            ),
        ),
    ]
