from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "support"
    verbose_name = "Customer requests"
    role_defaults = ("admin", "staff")
    # Staff log the requests the office receives (a phone call, a visit); admins handle them.
    role_extra = {"staff": ("add_customerrequest",)}
