"""`manage.py import_customers FILE.csv [--dry-run]`: the admin's CSV import, for operators."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from customers import csv_import
from ektor import csv_input
from ektor.text import plural
from tenancy.commands import add_company_argument, company_command_ctx


class Command(BaseCommand):
    help = (
        "Import customers and their properties from a CSV file (header: "
        + ",".join(csv_import.COLUMNS)
        + "; optional columns may be left out; commas or semicolons; one row per property; a "
        "customer is found by email or created). Every row is checked first; if any row is bad "
        "nothing is imported and the bad rows are listed by line number. Rows already imported "
        "are skipped as unchanged."
    )

    def add_arguments(self, parser):
        add_company_argument(parser)
        parser.add_argument("file", type=Path, help="the CSV file (UTF-8)")
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file and report; write nothing"
        )

    def handle(self, *args, file: Path, dry_run: bool, **options):
        try:
            with file.open("rb") as handle:
                text = csv_input.read_text(handle)
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}") from None
        except ValueError as exc:
            raise CommandError(f"{file}: {exc}") from None
        plan, result = csv_import.import_text(
            company_command_ctx(self, options["company"]), text, dry_run=dry_run
        )
        if plan.errors:
            for line in plan.error_lines():
                self.stderr.write(f"{file}: {line}")
            raise CommandError(
                f"{plural(len(plan.errors), 'problem')} in {file}; nothing was imported"
            )
        if result is None:
            self.stdout.write(f"Dry run: {file} is valid ({plan.summary()}); nothing was written.")
            return
        self.stdout.write(self.style.SUCCESS(f"Imported {result.summary()} from {file}."))
