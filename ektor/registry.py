"""What the apps declare on their AppConfig, read here so that a new app plugs in by declaring
it (no list in the project package to edit):

- `counted_models`: names of the app's models whose whole-table count is cached
  (ektor/db/counts.py);
- `demo_module`: the module `seed_demo` runs, in INSTALLED_APPS order (ektor/management/
  commands/seed_demo.py);
- `role_defaults`: the roles whose groups get default permissions on the app's models
  (accounts/roles.py);
- `route_scopes`: model label -> dotted path of `(ctx) -> Q`, what of that model is on a
  technician's route (tenancy.scoping.on_route);
- `service_modules`: the app's modules of services beside `<app>.services` (operations keeps
  one per part: `operations.visits`, `operations.photos` ...), which the tests hold to the
  services' rules (ctx first, every write audited).
"""

import importlib.util
from typing import Any

from django.apps import AppConfig, apps


def declared(attribute: str) -> list[tuple[AppConfig, Any]]:
    """(app config, value) of each installed app that declares `attribute`, in INSTALLED_APPS
    order."""
    return [
        (config, getattr(config, attribute))
        for config in apps.get_app_configs()
        if hasattr(config, attribute)
    ]


def service_modules(config: AppConfig) -> list[str]:
    """The names of the app's service modules: `<app>.services` when it exists, and those it
    declares in `service_modules`."""
    own = f"{config.name}.services"
    found = [own] if importlib.util.find_spec(own) is not None else []
    return found + list(getattr(config, "service_modules", ()))
