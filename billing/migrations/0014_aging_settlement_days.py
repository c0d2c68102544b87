"""Invoice.settled_on, the day an invoice's balance reached 0.00 (aging as of a day reads only the
invoices not settled by then, through billing_invoice_open_on), and Invoice.first_received_on,
the first day a payment or credit counted on it (before it, the balance is the total). Filled for
the invoices already there: settled_on of the paid ones is the latest of their issued date and
their counted payments' and credit applications' days; first_received_on the earliest of those
days. Reversing drops the columns."""

from django.db import migrations, models
from django.db.models import Max, Min, OuterRef, Subquery
from django.db.models.functions import Coalesce, Greatest, Least


def fill(apps, schema_editor):
    Invoice = apps.get_model("billing", "Invoice")
    Payment = apps.get_model("billing", "Payment")
    CreditApplication = apps.get_model("billing", "CreditApplication")

    def day(model, field, pick, **counted):
        rows = model.objects.filter(invoice=OuterRef("pk"), **counted).order_by()
        return Subquery(rows.values("invoice").annotate(day=pick(field)).values("day"))

    def payments(pick):
        return day(Payment, "paid_date", pick, reversed_at__isnull=True)

    def applications(pick):
        return day(CreditApplication, "applied_date", pick)

    Invoice.objects.filter(status="paid").update(
        settled_on=Greatest(
            Coalesce(payments(Max), "issued_date"), Coalesce(applications(Max), "issued_date")
        )
    )
    # Least of NULL is NULL: each side falls back on the other (both NULL: nothing received).
    first_payment, first_application = payments(Min), applications(Min)
    Invoice.objects.update(
        first_received_on=Least(
            Coalesce(first_payment, first_application), Coalesce(first_application, first_payment)
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0013_credits_void_run_auto_apply"),
        ("customers", "0005_company_newest"),
        ("tenancy", "0003_company_visit_settings"),
    ]

    operations = [
        migrations.AddField(
            model_name="invoice",
            name="settled_on",
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="invoice",
            name="first_received_on",
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
