from django.apps import AppConfig


class EktorConfig(AppConfig):
    name = "ektor"
    verbose_name = "Ektor"

    def ready(self):
        from ektor.api import counts

        counts.connect()
