"""`manage.py requests_report [--company SLUG] [--from DATE] [--to DATE] [--format text|csv]`:
how fast the office answers its customers' requests."""

import csv

from django.core.management.base import BaseCommand, CommandError

from billing.management.commands.statement import iso_date
from support.selectors import ResponseTimes, response_times
from tenancy.commands import add_company_argument, company_command_ctx

CSV_COLUMNS = ["month", "kind", "answered", "median_days", "p90_days"]


class Command(BaseCommand):
    help = (
        "Response times of customer requests: the median and 90th percentile of the days from "
        "receipt to answer, by month of the answer and kind."
    )

    def add_arguments(self, parser):
        add_company_argument(parser)
        parser.add_argument("--from", dest="start", type=iso_date, help="first day (YYYY-MM-DD)")
        parser.add_argument("--to", dest="end", type=iso_date, help="last day (YYYY-MM-DD)")
        parser.add_argument("--format", choices=["text", "csv"], default="text")

    def handle(self, *args, start, end, format: str, **options):
        if start and end and start > end:
            raise CommandError(f"--from {start} is after --to {end}")
        ctx = company_command_ctx(self, options["company"])
        rows = response_times(ctx, start=start, end=end)
        (self.write_csv if format == "csv" else self.write_text)(rows, ctx.company.name)

    def write_text(self, rows: list[ResponseTimes], company: str) -> None:
        self.stdout.write(f"Response times of {company}'s customer requests (days to answer)")
        if not rows:
            self.stdout.write("No request has been answered in the period.")
            return
        self.stdout.write(f"{'month':<9}{'kind':<17}{'answered':>9}{'median':>9}{'p90':>9}")
        for row in rows:
            self.stdout.write(
                f"{row.month:%Y-%m}  {row.kind:<17}{row.answered:>9}"
                f"{row.median_days:>9.1f}{row.p90_days:>9.1f}"
            )

    def write_csv(self, rows: list[ResponseTimes], company: str) -> None:
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for row in rows:
            writer.writerow(
                [f"{row.month:%Y-%m}", row.kind, row.answered, row.median_days, row.p90_days]
            )
