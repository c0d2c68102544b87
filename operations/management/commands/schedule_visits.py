"""`manage.py schedule_visits --from DATE --to DATE [--company SLUG]`: create the visits of every
running service plan of the company in the range (at most 62 days; again: nothing twice)."""

import argparse
import datetime

from django.core.management.base import BaseCommand, CommandError

from core.errors import ApplicationError
from operations.scheduling import visits_schedule
from tenancy.commands import add_company_argument, company_command_ctx


def _date(value: str) -> datetime.date:
    """An argparse `type`: a bad date is a usage error (exit 2) with this message."""
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a date in the form YYYY-MM-DD"
        ) from None


class Command(BaseCommand):
    help = (
        "Create the route visits of every running service plan in a range of days (both "
        "included, at most 62); visits that exist are left as they are."
    )

    def add_arguments(self, parser):
        add_company_argument(parser)
        parser.add_argument("--from", dest="start", type=_date, required=True, help="YYYY-MM-DD")
        parser.add_argument("--to", dest="end", type=_date, required=True, help="YYYY-MM-DD")

    def handle(self, *args, start, end, **options):
        ctx = company_command_ctx(self, options["company"])
        try:
            result = visits_schedule(ctx, date_from=start, date_to=end)
        except ApplicationError as exc:
            raise CommandError(exc.describe()) from None
        self.stdout.write(
            f"{ctx.company.name}: {result['created']} visits created, "
            f"{result['existing']} already scheduled ({start} to {end})"
        )
