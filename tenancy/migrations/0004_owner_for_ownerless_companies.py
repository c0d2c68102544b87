"""Every company gets an active owner: on an installation whose first admin was made by
`create_user --role admin` (which did not make an owner, unlike `createsuperuser` and
`bootstrap_admin`), the company had none, so nobody could edit it or name an owner through
the API or the admin. Its first active admin (lowest user id) becomes its owner, as 0002 made
the first company's, with no event in the audit trail (as 0002). Going back leaves the owners
as they are."""

from django.db import migrations


def forwards(apps, schema_editor):
    Membership = apps.get_model("tenancy", "Membership")
    owned = Membership.objects.filter(is_owner=True, user__is_active=True).values("company_id")
    first_admins: dict[int, int] = {}
    admins = (
        Membership.objects.filter(role="admin", user__is_active=True)
        .exclude(company_id__in=owned)
        .order_by("company_id", "user_id")
        .values_list("company_id", "id")
    )
    for company_id, membership_id in admins:
        first_admins.setdefault(company_id, membership_id)
    Membership.objects.filter(id__in=first_admins.values()).update(is_owner=True)


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0003_company_visit_settings")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
