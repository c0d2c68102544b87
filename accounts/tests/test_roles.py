import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission

from accounts.models import Role, User
from accounts.roles import role_apps
from accounts.tests.factories import UserFactory
from tenancy.membership import act_as
from tenancy.models import Membership

pytestmark = pytest.mark.django_db

# The apps whose models staff see: the business, as each app declares it on its AppConfig.
BUSINESS_APPS = tuple(label for label, roles in role_apps().items() if Role.STAFF in roles)


def codenames(group_name: str) -> set[str]:
    return set(
        Group.objects.get(name=group_name).permissions.values_list(
            "content_type__app_label", "codename"
        )
    )


def all_permissions(app_label: str, action: str | None = None) -> set[tuple[str, str]]:
    qs = Permission.objects.filter(content_type__app_label=app_label)
    if action:
        qs = qs.filter(codename__startswith=f"{action}_")
    return set(qs.values_list("content_type__app_label", "codename"))


def test_one_group_per_role():
    assert set(Group.objects.values_list("name", flat=True)) >= {"admin", "staff"}


def test_admin_group_has_every_permission_on_business_models_and_users():
    admin = codenames("admin")
    assert all_permissions("accounts") <= admin
    for app_label in BUSINESS_APPS:
        assert all_permissions(app_label) <= admin


def test_staff_group_can_only_view_business_models():
    staff = codenames("staff")
    expected = set()
    for app_label in BUSINESS_APPS:
        expected |= all_permissions(app_label, "view")
        # What an app grants staff on top (its AppConfig's role_extra): staff log requests.
        extra = getattr(apps.get_app_config(app_label), "role_extra", {}).get(Role.STAFF, ())
        expected |= {(app_label, codename) for codename in extra}
    assert ("support", "add_customerrequest") in expected
    assert staff == expected
    assert not any(app == "accounts" for app, _ in staff)


def test_every_business_model_has_permissions_in_both_groups():
    for app_label in BUSINESS_APPS:
        for model in apps.get_app_config(app_label).get_models():
            view = (app_label, f"view_{model._meta.model_name}")
            assert view in codenames("staff")
            assert view in codenames("admin")


@pytest.mark.parametrize("role", [Role.ADMIN, Role.STAFF])
def test_role_decides_the_group(role):
    user = UserFactory(role=role)
    assert list(user.groups.values_list("name", flat=True)) == [role]
    assert user.is_staff and not user.is_superuser


def test_email_and_username_unique_case_insensitively():
    from django.db import IntegrityError, transaction

    UserFactory(username="Martha", email="Martha@Example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(username="other", email="martha@example.COM")
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(username="MARTHA", email="m2@example.com")


@pytest.mark.django_db(transaction=True)
def test_role_defaults_come_back_after_a_flush():
    # Transactional tests (and `manage.py flush`) empty every table; post_migrate re-grants.
    from django.core.management import call_command

    call_command("flush", interactive=False, verbosity=0)
    assert all_permissions("billing") <= codenames("admin")
    assert all_permissions("customers", "view") <= codenames("staff")
    assert all_permissions("accounts") <= codenames("admin")


@pytest.mark.django_db(transaction=True)
def test_role_defaults_come_back_after_migrate():
    # `migrate` sends post_migrate with the migration state's apps (not the installed ones).
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    Group.objects.get(name="staff").permissions.clear()
    Group.objects.get(name="admin").permissions.clear()
    call_command("migrate", interactive=False, verbosity=0)
    assert all_permissions("billing", "view") <= codenames("staff")
    assert all_permissions("billing") <= codenames("admin")
    assert all_permissions("accounts") <= codenames("admin")


def test_createsuperuser_makes_an_admin_who_loses_everything_when_demoted(ctx):
    from django.core.management import call_command

    from accounts.services import user_update

    call_command("createsuperuser", username="root", email="root@example.com", interactive=False)
    root = User.objects.get(username="root")
    assert (root.role, root.is_superuser, root.is_staff) == (Role.ADMIN, False, True)
    assert root.has_perm("customers.add_customer")
    # An admin of the first company; demoted there, they act as staff.
    UserFactory(role=Role.ADMIN, company__is_owner=True)  # root is not the last owner
    user_update(ctx, user=root, data={"role": Role.STAFF})
    membership = Membership.unscoped.get(user=root)
    root = User.objects.get(username="root")
    act_as(root, role=membership.role)
    assert not root.has_perm("customers.add_customer")
    assert root.has_perm("customers.view_customer")
