from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "operations"
    verbose_name = "Operations"
    role_defaults = ("admin", "staff", "technician")
    # Technicians add photos to their own visits (operations.photos decides which).
    role_extra = {"technician": ("add_photo",)}
    # One module of services per part of operations, held to the services' rules (ctx first,
    # every write audited) by tests/test_context.py and audit/tests/test_completeness.py.
    service_modules = (
        "operations.visits",
        "operations.plans",
        "operations.scheduling",
        "operations.photos",
        "operations.reports",
    )
    # A technician sees what their visits and plans take them to (tenancy.scoping.on_route).
    route_scopes = {
        "customers.Customer": "operations.routes.customer_on_route",
        "customers.Property": "operations.routes.property_on_route",
        "pools.Pool": "operations.routes.pool_on_route",
        "pools.Equipment": "operations.routes.equipment_on_route",
    }
