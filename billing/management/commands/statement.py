"""`manage.py statement <customer_id> --from DATE --to DATE [--format text|csv|html]`."""

import argparse
import csv
import datetime

from django.core.management.base import BaseCommand, CommandError

from billing import printing
from billing.selectors import Statement, customer_statement
from core.errors import ApplicationError
from tenancy.commands import add_company_argument, company_command_ctx

COLUMNS = [
    "invoice_id",
    "number",
    "issued_date",
    "due_date",
    "status",
    "total",
    "amount_paid",
    "balance_due",
]


def iso_date(value: str) -> datetime.date:
    """An argparse `type`: a bad date is a usage error (exit 2) with this message."""
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a date in the form YYYY-MM-DD"
        ) from None


def add_report_arguments(parser: argparse.ArgumentParser, *, as_of_help: str) -> None:
    """A company's report as of a day: `--company`, `--format text|csv` and `--as-of`."""
    add_company_argument(parser)
    parser.add_argument("--format", choices=["text", "csv"], default="text")
    parser.add_argument("--as-of", dest="as_of", type=iso_date, help=as_of_help)


class Command(BaseCommand):
    help = "Print a customer's statement for a period as text, CSV or printable HTML."

    def add_arguments(self, parser):
        add_company_argument(parser)
        parser.add_argument("customer_id", type=int)
        parser.add_argument(
            "--from", dest="from_date", type=iso_date, required=True, help="YYYY-MM-DD"
        )
        parser.add_argument("--to", dest="to_date", type=iso_date, required=True, help="YYYY-MM-DD")
        parser.add_argument("--format", choices=["text", "csv", "html"], default="text")

    def handle(self, *args, customer_id, from_date, to_date, format, **options):
        ctx = company_command_ctx(self, options["company"])
        try:
            statement = customer_statement(
                ctx,
                customer_id=customer_id,
                from_date=from_date,
                to_date=to_date,
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        if format == "html":
            self.stdout.write(printing.statement_html(ctx, statement))
            return
        {"text": self.write_text, "csv": self.write_csv}[format](statement)

    def write_text(self, st: Statement) -> None:
        out = self.stdout
        out.write("Ektor Pool Services - Statement")
        contact = f" <{st.customer.email}>" if st.customer.email else ""
        out.write(f"Customer: {st.customer_name}{contact}")
        out.write(f"Period:   {st.from_date} to {st.to_date}")
        out.write("")
        out.write(
            f"{'Invoice':<16}{'Issued':<12}{'Due':<12}{'Status':<8}"
            f"{'Total':>12}{'Paid':>12}{'Balance':>12}"
        )
        for item in st.items:
            out.write(
                f"{item.number or '(draft)':<16}{item.issued_date!s:<12}"
                f"{(item.due_date or '')!s:<12}{item.status:<8}"
                f"{item.total:>12}{item.amount_paid:>12}{item.balance_due:>12}"
            )
        if not st.items:
            out.write("(no invoices issued in this period)")
        out.write("")
        out.write(f"{'Total billed':<48}{st.total:>12}")
        out.write(f"{'Paid':<48}{'':>12}{st.paid_total:>12}")
        out.write(f"{'Balance due on these invoices':<48}{'':>24}{st.balance_due:>12}")
        out.write("")
        out.write("Payments received in the period")
        for payment in st.payments:
            out.write(
                f"{payment.paid_date!s:<12}{payment.number:<16}{payment.method:<14}"
                f"{payment.reference or '':<18}{payment.amount:>12}"
            )
        if not st.payments:
            out.write("(no payments received in this period)")
        if st.credits:
            out.write("")
            out.write("Credits granted in the period")
        for credit in st.credits:
            out.write(
                f"{credit.credit_date!s:<12}{credit.number or '':<16}{credit.source:<14}"
                f"{credit.reason[:18]:<18}{credit.amount:>12}"
            )
        if st.credit_applications:
            out.write("")
            out.write("Credits applied in the period")
        for application in st.credit_applications:
            out.write(
                f"{application.applied_date!s:<12}{application.number:<16}"
                f"{f'credit #{application.credit_id}':<32}{application.amount:>12}"
            )
        out.write("")
        out.write(f"{'Balance brought forward':<60}{st.opening_balance:>12}")
        out.write(f"{'Invoiced in the period':<60}{st.invoiced_total:>12}")
        out.write(f"{'Payments received in the period':<60}{-st.payments_total:>12}")
        if st.credits_total:
            out.write(f"{'Credits granted in the period':<60}{-st.credits_total:>12}")
        out.write(f"{f'Balance due on {st.to_date}':<60}{st.closing_balance:>12}")
        if st.unapplied_credit:
            out.write(f"{'of which credit not applied yet':<60}{st.unapplied_credit:>12}")
        out.write(
            "Void invoices are listed for reference and left out of the totals; drafts are "
            "not owed until sent; reversed payments are left out."
        )

    def write_csv(self, st: Statement) -> None:
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(COLUMNS)
        for item in st.items:
            writer.writerow(
                [
                    item.pk,
                    item.number or "",
                    item.issued_date,
                    item.due_date or "",
                    item.status,
                    item.total,
                    item.amount_paid,
                    item.balance_due,
                ]
            )
        writer.writerow(["total", "", "", "", "", st.total, st.paid_total, st.balance_due])
        # The account over the period (payments and credits are listed in the text and HTML).
        blank = [""] * (len(COLUMNS) - 2)
        writer.writerow(["opening_balance", *blank, st.opening_balance])
        writer.writerow(["invoiced_total", *blank, st.invoiced_total])
        writer.writerow(["payments_total", *blank, st.payments_total])
        writer.writerow(["credits_total", *blank, st.credits_total])
        writer.writerow(["closing_balance", *blank, st.closing_balance])
        writer.writerow(["unapplied_credit", *blank, st.unapplied_credit])
