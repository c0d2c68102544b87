"""Admins get every action on requests; staff view and log them (SupportConfig.role_actions)."""

from django.db import migrations

from accounts.roles import grant_role_permissions


def forwards(apps, schema_editor):
    grant_role_permissions(apps, "support")


class Migration(migrations.Migration):
    dependencies = [
        ("support", "0001_initial"),
        ("accounts", "0002_role_groups"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
