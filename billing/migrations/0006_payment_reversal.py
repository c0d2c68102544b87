"""Payments can be reversed (who, when, why); a reversed payment's reference may be used again
(the unique constraint covers counted payments only, see Payment.counted), and the dashboard's
index of the month's payments leaves reversed ones out."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0005_settle_zero_invoices"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="payment",
            name="counted",
            field=models.BooleanField(db_default=True, default=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="payment",
            name="reversal_reason",
            field=models.CharField(blank=True, max_length=255, null=True),
        ),
        migrations.AddField(
            model_name="payment",
            name="reversed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="payment",
            name="reversed_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddIndex(
            model_name="payment",
            index=models.Index(
                fields=["paid_date", "reversed_at", "amount"], name="billing_payment_paid_counted"
            ),
        ),
        migrations.AddConstraint(
            model_name="payment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("counted", True),
                        ("reversal_reason__isnull", True),
                        ("reversed_at__isnull", True),
                    ),
                    models.Q(
                        ("counted", None),
                        ("reversal_reason__isnull", False),
                        ("reversed_at__isnull", False),
                    ),
                    _connector="OR",
                ),
                name="billing_payment_reversal_complete",
            ),
        ),
        migrations.AddConstraint(
            model_name="payment",
            constraint=models.UniqueConstraint(
                fields=("invoice", "reference", "counted"),
                name="billing_payment_counted_reference_unique",
            ),
        ),
        # Removed only once their replacements exist: on MySQL the invoice_id foreign key needs
        # an index starting with invoice_id at every moment.
        migrations.RemoveConstraint(
            model_name="payment",
            name="billing_payment_invoice_reference_unique",
        ),
        migrations.RemoveIndex(
            model_name="payment",
            name="billing_payment_paid_amount",
        ),
    ]
