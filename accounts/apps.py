from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        # Imported for their side effect: registering the system checks and the OpenAPI scheme.
        from accounts import checks, schema  # noqa: F401
