from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "operations"
    verbose_name = "Operations"
    role_defaults = ("admin", "staff", "technician")
    # One module of services per part of operations (ektor.registry.service_modules).
    service_modules = ("operations.visits", "operations.plans", "operations.scheduling")
    # A technician sees what their visits and plans take them to (tenancy.scoping.on_route).
    route_scopes = {
        "customers.Customer": "operations.routes.customer_on_route",
        "customers.Property": "operations.routes.property_on_route",
        "pools.Pool": "operations.routes.pool_on_route",
        "pools.Equipment": "operations.routes.equipment_on_route",
    }
