from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.management import service_errors
from accounts.models import Role, User
from accounts.services import user_create
from core.context import command_ctx


class Command(BaseCommand):
    help = (
        "Create the first admin from BOOTSTRAP_ADMIN_USERNAME, BOOTSTRAP_ADMIN_EMAIL and "
        "BOOTSTRAP_ADMIN_PASSWORD when no active admin exists. Safe to run on every start."
    )

    def handle(self, *args, **options):
        if User.objects.filter(role=Role.ADMIN, is_active=True).exists():
            self.stdout.write("bootstrap_admin: an active admin already exists; nothing to do.")
            return
        username = settings.BOOTSTRAP_ADMIN_USERNAME
        email = settings.BOOTSTRAP_ADMIN_EMAIL
        password = settings.BOOTSTRAP_ADMIN_PASSWORD
        if not (username and email and password):
            self.stdout.write(
                self.style.WARNING(
                    "bootstrap_admin: no admin exists and BOOTSTRAP_ADMIN_USERNAME/EMAIL/PASSWORD "
                    "are not all set; nothing created.\n"
                    "  Create one with: .venv/bin/python manage.py createsuperuser\n"
                    "  (or set the three BOOTSTRAP_ADMIN_* variables in .env and run again)"
                )
            )
            return
        if User.objects.filter(username__iexact=username).exists():
            raise CommandError(
                f"bootstrap_admin: user {username!r} exists but is not an active admin; "
                "promote them in the admin or choose another BOOTSTRAP_ADMIN_USERNAME."
            )
        with service_errors("bootstrap_admin"):
            user_create(
                command_ctx(self),
                username=username,
                email=email,
                password=password,
                role=Role.ADMIN,
                # The owner of the first company (tenancy 0002 created it).
                is_owner=True,
            )
        self.stdout.write(self.style.SUCCESS(f"bootstrap_admin: created admin {username!r}."))
