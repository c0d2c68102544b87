"""`manage.py send_reminders [--company SLUG] [--date YYYY-MM-DD]`: email the payment reminders
every company (or the one named) owes today, once per invoice and step (billing.reminders).
Run daily from cron (docs/deployment.md, "Periodic jobs"); a second run the same day sends
nothing new."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from billing.reminder_email import reminders_send
from core.context import command_ctx
from ektor.text import plural
from tenancy.commands import add_company_argument, company_command_ctx
from tenancy.models import Company
from tenancy.scoping import company_today


def a_date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(  # noqa: B904 (the parse error says nothing more)
            f"--date must be a day, YYYY-MM-DD (for example 2026-11-30), not {value!r}"
        )


class Command(BaseCommand):
    help = (
        "Email the payment reminders due today: sent invoices with a balance, not disputed, "
        "that reached one of their company's reminder steps (days past due) not yet sent. "
        "Each step goes once per invoice; when several steps were reached since the last run, "
        "only the highest is sent. Every company unless --company names one."
    )

    def add_arguments(self, parser):
        add_company_argument(parser)
        parser.add_argument(
            "--date",
            metavar="YYYY-MM-DD",
            help="the day to count days past due from (default: today in each company's zone)",
        )

    def handle(self, *args, **options):
        day = a_date(options["date"]) if options["date"] else None
        if options["company"]:
            contexts = [company_command_ctx(self, options["company"])]
        else:
            ctx = command_ctx(self)
            contexts = [ctx.for_company(c) for c in Company.objects.order_by("slug")]
        failed = 0
        for ctx in contexts:
            today = day or company_today(ctx)
            outcome = reminders_send(ctx, today=today)
            self.stdout.write(
                f"{ctx.company.slug} ({today}): {len(outcome.sent)} sent, "
                f"{len(outcome.skipped)} skipped, {len(outcome.failed)} failed"
            )
            for line in outcome.sent:
                self.stdout.write(f"  sent {line}")
            for line in outcome.skipped:
                self.stdout.write(f"  skipped {line}")
            for line in outcome.failed:
                self.stderr.write(f"  failed {line}")
            failed += len(outcome.failed)
        if failed:
            raise CommandError(
                f"send_reminders: {plural(failed, 'reminder')} could not be sent; "
                "the next run tries again"
            )
