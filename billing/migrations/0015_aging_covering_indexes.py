"""Invoice.last_received_on, the last day a counted payment or credit application counted on an
invoice, and Invoice.payments_total, what its counted payments add up to: from that day on,
aging reads its balance from its row. Filled for the invoices already there. Then aging reads
the open invoices and their counted payments from indexes alone (docs/performance.md, "Aging"):
the new invoice index starts with the old one's columns, so it is built before the old one
goes and the report always has one of them."""

from decimal import Decimal

from django.db import migrations, models
from django.db.models import Max, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest


def fill(apps, schema_editor):
    Invoice = apps.get_model("billing", "Invoice")
    Payment = apps.get_model("billing", "Payment")
    CreditApplication = apps.get_model("billing", "CreditApplication")

    def per_invoice(model, value, **counted):
        rows = model.objects.filter(invoice=OuterRef("pk"), **counted).order_by()
        return Subquery(rows.values("invoice").annotate(value=value).values("value"))

    last_payment = per_invoice(Payment, Max("paid_date"), reversed_at__isnull=True)
    last_application = per_invoice(CreditApplication, Max("applied_date"))
    # Greatest of NULL is NULL: each side falls back on the other (both NULL: nothing received).
    Invoice.objects.filter(first_received_on__isnull=False).update(
        last_received_on=Greatest(
            Coalesce(last_payment, last_application), Coalesce(last_application, last_payment)
        ),
        payments_total=Coalesce(
            per_invoice(Payment, Sum("amount"), reversed_at__isnull=True),
            Value(Decimal("0.00")),
            output_field=models.DecimalField(max_digits=12, decimal_places=2),
        ),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0014_aging_settlement_days"),
    ]

    operations = [
        migrations.AddField(
            model_name="invoice",
            name="last_received_on",
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="invoice",
            name="payments_total",
            field=models.DecimalField(
                db_default=Decimal("0.00"),
                decimal_places=2,
                default=Decimal("0.00"),
                editable=False,
                max_digits=12,
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
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
                    "last_received_on",
                    "payments_total",
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
