"""`manage.py receivables [--fix]`: check the dashboard's running figures (ReceivablesByDueDate)
against the invoices and payments, and add what they lack."""

from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError

from billing import services
from billing.selectors import receivables_drift
from ektor.text import plural
from tenancy.commands import add_company_argument, company_command_ctx


class Command(BaseCommand):
    help = (
        "Check the running figures behind the admin dashboard (open and overdue invoices) "
        "against the invoices and payments; --fix adds what they lack. Needed only after writes "
        "that bypass the services (raw SQL, or code older than the figures during a rolling "
        "release). Reads every open invoice and payment; safe while the app is serving."
    )

    def add_arguments(self, parser):
        add_company_argument(parser)
        parser.add_argument(
            "--fix", action="store_true", help="add the differences to the running figures"
        )

    def handle(self, *args, fix: bool, **options):
        ctx = company_command_ctx(self, options["company"])
        drift = receivables_drift(ctx)
        if not drift:
            self.stdout.write("receivables: exact")
            return
        for (_, status, due_by), figures in sorted(drift.items()):
            self.stdout.write(f"receivables {status} due {due_by}: {_differences(*figures)}")
        rows = plural(len(drift), "row")
        if not fix:
            verb = "differs" if len(drift) == 1 else "differ"
            raise CommandError(f"receivables: {rows} {verb} from the invoices; run with --fix")
        services.receivables_fix(ctx, drift=drift)
        self.stdout.write(f"receivables: fixed {rows}")


def _differences(count: int, total: Decimal, paid: Decimal) -> str:
    """What a row lacks and what it has too much of, e.g. "short by 1 invoice, 100.00 billed
    and 25.00 paid" or "over by 2 invoices and 50.00 billed"; a figure that is right is left
    out."""
    short, over = [], []
    for amount, words in (
        (count, plural(abs(count), "invoice")),
        (total, f"{abs(total)} billed"),
        (paid, f"{abs(paid)} paid"),
    ):
        if amount:
            (short if amount > 0 else over).append(words)
    return "; ".join(
        f"{label} by {_and_list(words)}"
        for label, words in (("short", short), ("over", over))
        if words
    )


def _and_list(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"
