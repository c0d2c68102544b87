"""Sign-in sessions name their company: the API sessions open at the upgrade act for the
first company (tenancy 0002), so nobody is signed out by it. A user's role may be technician."""

import django.db.models.deletion
from django.db import migrations, models

from tenancy.migration_helpers import first_company_id


def sessions_to_first_company(apps, schema_editor):
    company_id = first_company_id(apps)
    apps.get_model("accounts", "AuthSession").objects.filter(kind="api").update(
        company_id=company_id
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_admin_sessions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("tenancy", "0002_first_company"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="user",
            name="accounts_user_role_valid",
        ),
        migrations.AddField(
            model_name="authsession",
            name="company",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="tenancy.company",
            ),
        ),
        migrations.RunPython(sessions_to_first_company, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="user",
            name="role",
            field=models.CharField(
                choices=[("admin", "Admin"), ("staff", "Staff"), ("technician", "Technician")],
                default="staff",
                max_length=10,
            ),
        ),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.CheckConstraint(
                condition=models.Q(("role__in", ["admin", "staff", "technician"])),
                name="accounts_user_role_valid",
            ),
        ),
    ]
