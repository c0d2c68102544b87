"""The first company: the rows already there (customers' and billing's migrations give them its
id) and every existing user as a member with the role they had; the first active admin (lowest
id) is its owner. A new installation gets it too, empty: the bootstrap admin becomes its
owner. Its slug and name come from COMPANY_SLUG and COMPANY_NAME ("main", "My pool company").

Reversible: going back deletes the memberships and companies (the apps' migrations drop their
company columns first)."""

from django.conf import settings
from django.db import migrations

BATCH = 2000


def forwards(apps, schema_editor):
    Company = apps.get_model("tenancy", "Company")
    Membership = apps.get_model("tenancy", "Membership")
    User = apps.get_model("accounts", "User")
    company = Company.objects.order_by("id").first() or Company.objects.create(
        slug=settings.COMPANY_SLUG, name=settings.COMPANY_NAME
    )
    owner_id = (
        User.objects.filter(role="admin", is_active=True)
        .order_by("id")
        .values_list("id", flat=True)
        .first()
    )
    last_id = 0
    while True:
        users = list(
            User.objects.filter(id__gt=last_id).order_by("id").values_list("id", "role")[:BATCH]
        )
        if not users:
            break
        Membership.objects.bulk_create(
            Membership(user_id=user_id, company=company, role=role, is_owner=user_id == owner_id)
            for user_id, role in users
        )
        last_id = users[-1][0]


def backwards(apps, schema_editor):
    apps.get_model("tenancy", "Membership").objects.all().delete()
    apps.get_model("tenancy", "Company").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tenancy", "0001_initial"),
        ("accounts", "0004_admin_sessions"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
