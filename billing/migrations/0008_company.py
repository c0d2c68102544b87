"""Every invoice, payment and receivables row belongs to a company: the first one (tenancy
0002) for the rows already there. Invoice numbers are unique per company and year: the
counter (year -> last number) becomes InvoiceCounter (company, year -> last number), the
existing counters copied to the first company, so its numbering goes on where it was.

Reversible while one company exists (going back copies its counters back)."""

from django.db import migrations, models

from tenancy.migration_helpers import company_fk, fill_company, first_company_id


def fill(apps, schema_editor):
    fill_company(apps, "billing", "Invoice", "Payment", "ReceivablesByDueDate")
    company_id = first_company_id(apps)
    old = apps.get_model("billing", "InvoiceNumberCounter")
    new = apps.get_model("billing", "InvoiceCounter")
    new.objects.bulk_create(
        new(company_id=company_id, year=year, last_number=last)
        for year, last in old.objects.values_list("year", "last_number")
    )


def unfill(apps, schema_editor):
    old = apps.get_model("billing", "InvoiceNumberCounter")
    new = apps.get_model("billing", "InvoiceCounter")
    old.objects.bulk_create(
        old(year=year, last_number=last)
        for year, last in new.objects.values_list("year", "last_number")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0007_receivables_by_due_date"),
        ("customers", "0004_company"),
        ("tenancy", "0002_first_company"),
    ]

    operations = [
        migrations.CreateModel(
            name="InvoiceCounter",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("company", company_fk(False)),
                ("year", models.PositiveIntegerField()),
                ("last_number", models.PositiveIntegerField(default=0)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("company", "year"),
                        name="billing_invoicecounter_company_year_unique",
                    )
                ],
            },
        ),
        migrations.AddField(model_name="invoice", name="company", field=company_fk(True)),
        migrations.AddField(model_name="payment", name="company", field=company_fk(True)),
        migrations.AddField(
            model_name="receivablesbyduedate", name="company", field=company_fk(True)
        ),
        migrations.RunPython(fill, unfill),
        migrations.DeleteModel(name="InvoiceNumberCounter"),
        migrations.AlterField(model_name="invoice", name="company", field=company_fk(False)),
        migrations.AlterField(model_name="payment", name="company", field=company_fk(False)),
        migrations.AlterField(
            model_name="receivablesbyduedate", name="company", field=company_fk(False)
        ),
        migrations.AlterField(
            model_name="invoice",
            name="number",
            field=models.CharField(blank=True, max_length=20, null=True),
        ),
        migrations.AddConstraint(
            model_name="invoice",
            constraint=models.UniqueConstraint(
                fields=("company", "number"), name="billing_invoice_number_unique"
            ),
        ),
        migrations.RemoveConstraint(
            model_name="receivablesbyduedate",
            name="billing_receivablesbyduedate_status_due_by_unique",
        ),
        migrations.AddConstraint(
            model_name="receivablesbyduedate",
            constraint=models.UniqueConstraint(
                fields=("company", "status", "due_by"),
                name="billing_receivablesbyduedate_company_due_by_unique",
            ),
        ),
    ]
