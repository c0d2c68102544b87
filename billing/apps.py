from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"
    role_defaults = ("admin", "staff")
    counted_models = ("Invoice", "Payment")
    demo_module = "billing.demo"
    # Services beside billing.services, held to the services' rules (ctx first, every write
    # audited) by tests/test_context.py and audit/tests/test_completeness.py.
    service_modules = ("billing.credits", "billing.reminders")
