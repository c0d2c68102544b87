"""Role -> group -> permissions.

Each app grants its models' default permissions in a data migration, and the same grant runs
again after every `migrate` (post_migrate): a database flushed by transactional tests, or a
new model, gets the defaults back. The grant only adds; permissions an admin granted on top
of the defaults are kept.
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions

from accounts.models import Role

ROLE_ACTIONS: dict[str, tuple[str, ...]] = {
    Role.ADMIN: ("view", "add", "change", "delete"),
    Role.STAFF: ("view",),
}

# The roles that get default permissions on each app's models: user management is for admins.
ROLE_APPS: dict[str, tuple[str, ...]] = {
    "auth": (Role.ADMIN,),  # the groups: admins grant staff more permissions in the admin
    "accounts": (Role.ADMIN,),
    "customers": (Role.ADMIN, Role.STAFF),
    "billing": (Role.ADMIN, Role.STAFF),
}


def group_name(role: str) -> str:
    return role


def grant_role_permissions(apps, app_label: str, roles: tuple[str, ...] = tuple(ROLE_ACTIONS)):
    """Give each role's group its actions on every model of `app_label` (for data migrations)."""
    create_permissions(global_apps.get_app_config(app_label), apps=apps, verbosity=0)
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role in ROLE_ACTIONS:
        group, _ = group_model.objects.get_or_create(name=group_name(role))
        if role not in roles:
            continue
        for action in ROLE_ACTIONS[role]:
            group.permissions.add(
                *permission_model.objects.filter(
                    content_type__app_label=app_label, codename__startswith=f"{action}_"
                )
            )


def grant_defaults_after_migrate(sender, apps=global_apps, **kwargs) -> None:
    """post_migrate receiver: re-grant `sender`'s default role permissions (`flush` sends
    the signal without `apps`: then the installed models are the state)."""
    roles = ROLE_APPS.get(sender.label)
    if not roles:
        return
    try:
        # `migrate` passes the migration state's apps, whose is_installed() knows only labels.
        apps.get_model("auth", "Permission")
    except LookupError:  # a plan that stopped before auth's models exist
        return
    grant_role_permissions(apps, sender.label, roles)
