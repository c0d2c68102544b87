"""Role -> group -> permissions. Each app grants its models' permissions in a data migration."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions

from accounts.models import Role

ROLE_ACTIONS: dict[str, tuple[str, ...]] = {
    Role.ADMIN: ("view", "add", "change", "delete"),
    Role.STAFF: ("view",),
}


def group_name(role: str) -> str:
    return role


def grant_role_permissions(apps, app_label: str, roles: tuple[str, ...] = tuple(ROLE_ACTIONS)):
    """Give each role's group its actions on every model of `app_label` (for data migrations)."""
    create_permissions(global_apps.get_app_config(app_label), apps=apps, verbosity=0)
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role in roles:
        group, _ = group_model.objects.get_or_create(name=group_name(role))
        for action in ROLE_ACTIONS[role]:
            group.permissions.add(
                *permission_model.objects.filter(
                    content_type__app_label=app_label, codename__startswith=f"{action}_"
                )
            )
