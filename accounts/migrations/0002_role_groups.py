"""One group per role; the admin group manages users and sign-in sessions.

Staff get no permission on accounts: user management is for admins only. Business apps grant
their own models' permissions to both groups in their own data migrations.
"""

from django.db import migrations

from accounts.roles import grant_role_permissions


def forwards(apps, schema_editor):
    grant_role_permissions(apps, "accounts", roles=("admin",))
    apps.get_model("auth", "Group").objects.get_or_create(name="staff")


def backwards(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["admin", "staff"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
