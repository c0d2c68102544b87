from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = "Customers"
    role_defaults = ("admin", "staff", "technician")
    counted_models = ("Customer", "Property")
    demo_module = "customers.demo"
