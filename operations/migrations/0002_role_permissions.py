"""The roles' groups get this app's permissions: admins every action, staff and technicians
view only (a technician sees and acts on their own visits: the services decide)."""

from django.db import migrations

from accounts.roles import grant_role_permissions


def forwards(apps, schema_editor):
    grant_role_permissions(apps, "operations", roles=("admin", "staff", "technician"))


class Migration(migrations.Migration):
    dependencies = [
        ("operations", "0001_initial"),
        ("accounts", "0002_role_groups"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
