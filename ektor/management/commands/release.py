"""The release step: what runs once per release, before the new code takes traffic, and not
in every web replica at start (Django's migrate takes no lock, so replicas starting together
would race each other's schema changes)."""

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Release step, once per release before the web processes start: migrate (the cache "
        "table included), then bootstrap_admin (the first admin, when configured)."
    )

    def handle(self, *args, **options):
        verbosity = options["verbosity"]
        call_command("migrate", interactive=False, verbosity=verbosity)
        call_command("bootstrap_admin", verbosity=verbosity)
