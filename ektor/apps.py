from django.apps import AppConfig


class EktorConfig(AppConfig):
    name = "ektor"
    verbose_name = "Ektor"
