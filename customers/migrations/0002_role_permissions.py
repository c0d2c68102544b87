"""Both role groups get this app's permissions: admins every action, staff view only."""

from django.db import migrations

from accounts.roles import grant_role_permissions


def forwards(apps, schema_editor):
    grant_role_permissions(apps, "customers")


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0001_initial"),
        ("accounts", "0002_role_groups"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
