"""Admins get every action on items and stock movements; staff and technicians view them
(technicians' visits use the catalog's chemicals and parts)."""

from django.db import migrations

from accounts.roles import grant_role_permissions


def forwards(apps, schema_editor):
    grant_role_permissions(apps, "catalog", ("admin", "staff", "technician"))


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
        ("accounts", "0002_role_groups"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
