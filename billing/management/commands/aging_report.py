"""`manage.py aging_report [--as-of DATE] [--format text|csv] [--company SLUG]`: what customers
owe on a day, by days past due (billing.aging)."""

import csv
import datetime

from django.core.management.base import BaseCommand

from billing.aging import BUCKETS, Aging, aging, csv_rows
from billing.management.commands.statement import add_report_arguments
from ektor.text import plural, spreadsheet_text
from tenancy.commands import company_command_ctx
from tenancy.scoping import company_today

# The text report's column headers, as people read them.
HEADERS = {
    "current": "Current",
    "1_30": "1-30",
    "31_60": "31-60",
    "61_90": "61-90",
    "over_90": "Over 90",
}


class Command(BaseCommand):
    help = (
        "What customers owe on a day (sent invoices, less what was paid and credited by then), "
        "by days past due: current, 1-30, 31-60, 61-90 and over 90, per customer and in all. "
        "Text for people, CSV for spreadsheets."
    )

    def add_arguments(self, parser):
        add_report_arguments(
            parser, as_of_help="YYYY-MM-DD: the day (default: the company's today)"
        )

    def handle(self, *args, format: str, as_of: datetime.date | None, **options):
        ctx = company_command_ctx(self, options["company"])
        report = aging(ctx, as_of=as_of or company_today(ctx))
        (self.write_csv if format == "csv" else self.write_text)(report)

    def write_text(self, report: Aging) -> None:
        out = self.stdout
        out.write(f"Aging as of {report.as_of}")
        if not report.customers:
            out.write("Nothing is owed.")
            return
        width = max(len(row["name"]) for row in report.customers) + 2
        columns = [*BUCKETS, "total"]
        headers = {**HEADERS, "total": "Total"}
        out.write("")
        out.write(f"{'Customer':<{width}}" + "".join(f"{headers[c]:>13}" for c in columns))
        for row in report.customers:
            out.write(f"{row['name']:<{width}}" + "".join(f"{row[c]:>13}" for c in columns))
        totals = {**report.totals, "total": report.total}
        out.write(f"{'Total':<{width}}" + "".join(f"{totals[c]:>13}" for c in columns))
        out.write("")
        out.write(f"{plural(len(report.customers), 'customer')} owe {report.total} in total")

    def write_csv(self, report: Aging) -> None:
        csv.writer(self.stdout, lineterminator="\n").writerows(csv_rows(report, spreadsheet_text))
