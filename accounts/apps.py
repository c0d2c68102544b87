from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"
    # The roles given default permissions on this app's models (accounts/roles.py): user
    # management is for admins.
    role_defaults = ("admin",)

    def ready(self) -> None:
        # checks and schema are imported for their side effect: registering the system checks
        # and the OpenAPI scheme.
        from accounts import admin_sessions, checks, schema  # noqa: F401
        from accounts.roles import grant_defaults_after_migrate

        admin_sessions.connect()
        post_migrate.connect(grant_defaults_after_migrate, dispatch_uid="accounts_role_defaults")
