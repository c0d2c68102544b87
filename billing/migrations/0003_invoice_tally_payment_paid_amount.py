"""The dashboard's running figures of sent invoices (InvoiceTally, filled by 0004) and a covering index for its
payments of the month: (paid_date, amount) replaces (paid_date), created before the old one is
dropped so payments are never without a paid_date index."""

from decimal import Decimal

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0002_role_permissions"),
    ]

    operations = [
        migrations.CreateModel(
            name="InvoiceTally",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("draft", "Draft"),
                            ("sent", "Sent"),
                            ("paid", "Paid"),
                            ("void", "Void"),
                        ],
                        max_length=10,
                    ),
                ),
                ("due_by", models.DateField()),
                ("invoice_count", models.IntegerField(default=0)),
                (
                    "total",
                    models.DecimalField(decimal_places=2, default=Decimal("0.00"), max_digits=20),
                ),
                (
                    "paid",
                    models.DecimalField(decimal_places=2, default=Decimal("0.00"), max_digits=20),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("status", "due_by"),
                        name="billing_invoicetally_status_due_by_unique",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(status="sent"), name="billing_invoicetally_sent_only"
                    ),
                ],
            },
        ),
        migrations.AddIndex(
            model_name="payment",
            index=models.Index(fields=["paid_date", "amount"], name="billing_payment_paid_amount"),
        ),
        migrations.RemoveIndex(
            model_name="payment",
            name="billing_payment_paid_date",
        ),
    ]
