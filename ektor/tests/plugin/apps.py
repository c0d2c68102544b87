from django.apps import AppConfig


class PluginConfig(AppConfig):
    name = "ektor.tests.plugin"
    label = "plugin"
    role_defaults = ("admin",)
    demo_module = "ektor.tests.plugin.demo"


class UnknownRoleConfig(AppConfig):
    name = "ektor.tests.plugin"
    label = "plugin"
    role_defaults = ("admin", "gardener")
