from django.apps import AppConfig


class PoolsConfig(AppConfig):
    name = "pools"
    verbose_name = "Pools"
    # Technicians see the pools of their route (tenancy.scoping.on_route: operations declares it).
    role_defaults = ("admin", "staff", "technician")
    demo_module = "pools.demo"
    # The pool list's X-Total-Count from the cache (ektor.db.counts), as the customers'.
    counted_models = ("Pool",)
