"""`manage.py create_company SLUG --name N --owner USERNAME`."""

from django.core.management.base import BaseCommand, CommandError

from accounts.management import service_errors
from accounts.models import User
from core.context import command_ctx
from tenancy.services import company_create


class Command(BaseCommand):
    help = (
        "Create a company whose first owner is an existing user (USERNAME or email); they "
        "sign in to it with the company's slug (`company` or X-Tenant-ID)."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="short name in tokens and X-Tenant-ID, e.g. acme-pools")
        parser.add_argument("--name", required=True, help="the company's name")
        parser.add_argument("--owner", required=True, help="username or email of its owner")

    def handle(self, *args, slug: str, name: str, owner: str, **options):
        user = User.objects.filter(username__iexact=owner).first() or (
            User.objects.filter(email__iexact=owner).first()
        )
        if user is None:
            raise CommandError(f"create_company: no user {owner!r}; create them first")
        with service_errors("create_company"):
            company = company_create(command_ctx(self), slug=slug, name=name, owner=user)
        self.stdout.write(
            self.style.SUCCESS(
                f"create_company: created {company.name!r} ({company.slug}) owned by "
                f"{user.username!r}."
            )
        )
