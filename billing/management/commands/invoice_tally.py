"""`manage.py invoice_tally [--fix]`: check the dashboard's running figures (InvoiceTally)
against the invoices and payments, and add what they lack."""

from django.core.management.base import BaseCommand, CommandError

from billing import services
from billing.selectors import invoice_tally_drift


class Command(BaseCommand):
    help = (
        "Check the running figures behind the admin dashboard (open and overdue invoices) "
        "against the invoices and payments; --fix adds what they lack. Needed only after writes "
        "that bypass the services (raw SQL, or code older than the figures during a rolling "
        "release). Reads every open invoice and payment; safe while the app is serving."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--fix", action="store_true", help="add the differences to the running figures"
        )

    def handle(self, *args, fix: bool, **options):
        drift = invoice_tally_drift()
        if not drift:
            self.stdout.write("invoice tally: exact")
            return
        for (status, due_by), (count, total, paid) in sorted(drift.items()):
            self.stdout.write(
                f"invoice tally {status} due {due_by}: lacks {count:+d} invoices, "
                f"total {total:+}, paid {paid:+}"
            )
        if not fix:
            raise CommandError(
                f"invoice tally: {len(drift)} rows differ from the invoices; run with --fix"
            )
        services.invoice_tally_fix(drift=drift)
        self.stdout.write(f"invoice tally: fixed {len(drift)} rows")
