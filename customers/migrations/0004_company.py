"""Every customer and property belongs to a company: the first one (tenancy 0002) for the rows
already there. The email is unique per company (case-insensitively) instead of everywhere.

Reversible while the emails are still unique across companies."""

import django.db.models.deletion
import django.db.models.functions.text
from django.db import migrations, models

from tenancy.migration_helpers import company_fk, fill_company


def fill(apps, schema_editor):
    fill_company(apps, "customers", "Customer", "Property")


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0003_customer_is_active"),
        ("tenancy", "0002_first_company"),
    ]

    operations = [
        migrations.AddField(model_name="customer", name="company", field=company_fk(True)),
        migrations.AddField(model_name="property", name="company", field=company_fk(True)),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(model_name="customer", name="company", field=company_fk(False)),
        migrations.AlterField(model_name="property", name="company", field=company_fk(False)),
        migrations.RemoveConstraint(
            model_name="customer", name="customers_customer_email_ci_unique"
        ),
        migrations.AlterField(
            model_name="customer",
            name="email",
            field=models.EmailField(blank=True, max_length=254, null=True),
        ),
        migrations.AddConstraint(
            model_name="customer",
            constraint=models.UniqueConstraint(
                fields=("company", "email"), name="customers_customer_company_email_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="customer",
            constraint=models.UniqueConstraint(
                models.F("company"),
                django.db.models.functions.text.Lower("email"),
                name="customers_customer_email_ci_unique",
            ),
        ),
    ]
