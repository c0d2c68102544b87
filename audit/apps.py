from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit trail"
    # Admins read the trail; nobody may add, change or delete an event (the model has only
    # the view permission). Granted after every migrate (accounts.roles), not by a data
    # migration: audit may not import accounts.
    role_defaults = ("admin",)
