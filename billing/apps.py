from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"
    role_defaults = ("admin", "staff")
    counted_models = ("Invoice", "Payment")
    demo_module = "billing.demo"
