import sys
from getpass import getpass

from django.core.management.base import BaseCommand, CommandError

from accounts.management import service_errors
from accounts.models import Role
from accounts.services import user_create
from core.context import command_ctx
from tenancy.commands import add_company_argument, company_command_ctx


class Command(BaseCommand):
    help = (
        "Create a user who signs in to the API and the admin. The password is read from "
        "--password-file (use - for standard input) or asked for twice at the terminal; it is "
        "never taken from the command line, where other users and the shell history see it."
    )

    def add_arguments(self, parser):
        add_company_argument(parser)
        parser.add_argument("username", help="3 to 50 letters, digits and @.+-_")
        parser.add_argument("--email", required=True, help="unique, case-insensitively")
        parser.add_argument(
            "--role",
            choices=Role.values,
            default=Role.STAFF,
            help="their role in the company: admin manages users and writes everything; staff "
            "reads; technician works their route (default: staff)",
        )
        parser.add_argument(
            "--password-file",
            metavar="PATH",
            help="read the password from the first line of PATH, or of standard input with -",
        )
        parser.add_argument(
            "--inactive", action="store_true", help="create the account switched off"
        )

    def handle(self, *args, username: str, email: str, role: str, **options):
        password = self._password(options["password_file"])
        with service_errors("create_user"):
            user = user_create(
                # Without --company: a member of the first company (as user_create does).
                company_command_ctx(self, options["company"])
                if options["company"]
                else command_ctx(self),
                username=username,
                email=email,
                password=password,
                role=role,
                is_active=not options["inactive"],
            )
        state = "" if user.is_active else " (inactive)"
        self.stdout.write(
            self.style.SUCCESS(
                f"create_user: created {user.role} {user.username!r} <{user.email}> "
                f"with id {user.pk}{state}."
            )
        )

    def _password(self, path: str | None) -> str:
        if path == "-":
            return sys.stdin.readline().rstrip("\n")
        if path:
            try:
                with open(path, encoding="utf-8") as handle:
                    return handle.readline().rstrip("\n")
            except OSError as exc:
                raise CommandError(f"create_user: cannot read {path}: {exc.strerror}.") from None
        if not sys.stdin.isatty():
            raise CommandError(
                "create_user: no password given; use --password-file PATH (or - for standard "
                "input) when not running at a terminal."
            )
        password = getpass("Password: ")
        if getpass("Password (again): ") != password:
            raise CommandError("create_user: the two passwords differ; nothing created.")
        return password
