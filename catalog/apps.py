from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Catalog and stock"
    # Technicians read the catalog: their visits use its chemicals and parts.
    role_defaults = ("admin", "staff", "technician")
    demo_module = "catalog.demo"
