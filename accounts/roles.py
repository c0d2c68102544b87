"""Role -> group -> permissions.

Each app grants its models' default permissions in a data migration, and the same grant runs
again after every `migrate` (post_migrate): a database flushed by transactional tests, or a
new model, gets the defaults back. The grant only adds; permissions an admin granted on top
of the defaults are kept.
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.core.exceptions import ImproperlyConfigured

from accounts.models import Role
from ektor.registry import declared

ROLE_ACTIONS: dict[str, tuple[str, ...]] = {
    Role.ADMIN: ("view", "add", "change", "delete"),
    Role.STAFF: ("view",),
    # Their route's customers and properties (selectors narrow them: tenancy.scoping.on_route).
    Role.TECHNICIAN: ("view",),
}


def role_apps() -> dict[str, tuple[str, ...]]:
    """The roles that get default permissions on each app's models: what each app declares in
    its AppConfig's `role_defaults`, and admins on Django's groups (admins grant staff more
    permissions there)."""
    roles_of: dict[str, tuple[str, ...]] = {"auth": (Role.ADMIN,)}
    for config, roles in declared("role_defaults"):
        unknown = sorted(set(roles) - set(Role.values))
        if unknown:
            raise ImproperlyConfigured(
                f"{config.label}: role_defaults names roles that do not exist: {unknown}"
            )
        roles_of[config.label] = tuple(roles)
    return roles_of


def group_name(role: str) -> str:
    return role


# What a data migration that names no roles grants: the roles of the migrations written before
# technicians existed (they must keep granting exactly what they did).
MIGRATION_DEFAULT_ROLES = (Role.ADMIN, Role.STAFF)


def grant_role_permissions(apps, app_label: str, roles: tuple[str, ...] = MIGRATION_DEFAULT_ROLES):
    """Give each role's group its actions on every model of `app_label` (for data migrations)."""
    create_permissions(global_apps.get_app_config(app_label), apps=apps, verbosity=0)
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    # An app may grant a role permissions beyond the defaults (AppConfig `role_extra`).
    extra = getattr(global_apps.get_app_config(app_label), "role_extra", {})
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
        group.permissions.add(
            *permission_model.objects.filter(
                content_type__app_label=app_label, codename__in=extra.get(role, ())
            )
        )


def grant_defaults_after_migrate(sender, apps=global_apps, **kwargs) -> None:
    """post_migrate receiver: re-grant `sender`'s default role permissions (`flush` sends
    the signal without `apps`: then the installed models are the state)."""
    roles = role_apps().get(sender.label)
    if not roles:
        return
    try:
        # `migrate` passes the migration state's apps, whose is_installed() knows only labels.
        apps.get_model("auth", "Permission")
    except LookupError:  # a plan that stopped before auth's models exist
        return
    grant_role_permissions(apps, sender.label, roles)
