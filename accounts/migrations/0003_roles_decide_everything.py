"""The role decides every permission: clear superuser flags (`createsuperuser` used to set
one, which survived a demotion to staff), and let admins edit the groups' permissions."""

from django.db import migrations

from accounts.roles import grant_role_permissions


def forwards(apps, schema_editor):
    user_model = apps.get_model("accounts", "User")
    user_model.objects.filter(is_superuser=True).update(is_superuser=False)
    grant_role_permissions(apps, "auth", roles=("admin",))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_role_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
