"""`manage.py bill --period YYYY-MM [--dry-run] [--send [--auto-apply-credits]] [--company
SLUG]`: bill a month from operations (billing.services.billing_run), printing how far it is."""

import datetime
from collections import Counter

from django.core.management.base import BaseCommand, CommandError

from billing import services
from core.errors import ApplicationError
from ektor.text import plural
from tenancy.commands import add_company_argument, company_command_ctx


def month(value: str) -> datetime.date:
    try:
        return datetime.datetime.strptime(f"{value}-01", "%Y-%m-%d").date()
    except ValueError:
        raise CommandError(  # noqa: B904 (the month's parse error says nothing more)
            f"--period must be a month, YYYY-MM (for example 2026-11), not {value!r}"
        )


class Command(BaseCommand):
    help = (
        "Bill a month: per-month and per-visit plans, chemicals, parts and work orders, one "
        "invoice per property, never anything twice. --dry-run shows the figures and writes "
        "nothing."
    )

    def add_arguments(self, parser):
        add_company_argument(parser)
        parser.add_argument("--period", required=True, help="the month, YYYY-MM")
        parser.add_argument("--dry-run", action="store_true", dest="dry_run")
        parser.add_argument("--send", action="store_true", help="send the invoices (numbers)")
        parser.add_argument(
            "--auto-apply-credits",
            action="store_true",
            dest="auto_apply_credits",
            help="apply each customer's open credits to the invoices sent (needs --send)",
        )

    def handle(
        self, *args, period: str, dry_run: bool, send: bool, auto_apply_credits: bool, **options
    ):
        ctx = company_command_ctx(self, options["company"])
        first = month(period)

        def progress(done: int, total: int) -> None:
            self.stdout.write(f"{done} of {plural(total, 'property', 'properties')} billed")

        try:
            result = services.billing_run(
                ctx,
                period=first,
                dry_run=dry_run,
                send=send,
                auto_apply_credits=auto_apply_credits,
                progress=progress,
            )
        except ApplicationError as exc:
            raise CommandError(exc.describe()) from exc
        what = "Would create" if dry_run else "Created"
        self.stdout.write(
            f"{what} {plural(result.invoices_created, 'invoice')} and "
            f"{plural(result.lines_created, 'line')}, {result.total} in total, for {first:%B %Y}"
            + ("" if dry_run else f" (run {result.run_id})")
        )
        if not result.invoices_created and not result.lines_created:
            self.stdout.write("Nothing new to bill: everything of the month is billed already.")
        reasons = Counter(entry["reason"] for entry in result.skipped)
        for reason, count in sorted(reasons.items()):
            self.stdout.write(f"Skipped {count}: {reason}")
        if options["verbosity"] > 1:
            for entry in result.skipped:
                key = "plan" if "plan_id" in entry else "visit"
                number = entry.get("plan_id") or entry.get("visit_id")
                self.stdout.write(f"  {key} {number}: {entry['reason']}")
