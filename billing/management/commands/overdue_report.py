"""`manage.py overdue_report [--format text|csv] [--as-of DATE]`: who owes what, past due."""

import csv
import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.utils import timezone

from billing.management.commands.statement import add_report_arguments
from billing.models import Invoice, overdue_q
from billing.selectors import invoice_queryset
from core.context import Ctx
from core.money import ZERO
from customers.models import Customer
from ektor.text import plural
from tenancy.commands import company_command_ctx

CSV_COLUMNS = [
    "customer_id",
    "customer",
    "email",
    "phone",
    "invoice_number",
    "issued_date",
    "due_date",
    "days_overdue",
    "total",
    "amount_paid",
    "balance_due",
]


@dataclass
class CustomerDebt:
    customer: Customer
    invoices: list[Invoice] = field(default_factory=list)

    @property
    def balance(self) -> Decimal:
        return sum((invoice.balance_due for invoice in self.invoices), ZERO)


def overdue_by_customer(ctx: Ctx, as_of: datetime.date) -> list[CustomerDebt]:
    """Sent invoices due before `as_of`, grouped by customer; the largest debt first. One
    query: the invoices with their computed balance and their customer."""
    invoices = (
        invoice_queryset(ctx)
        .filter(overdue_q(as_of))
        .select_related("customer")
        .order_by("customer_id", "due_date", "id")
    )
    debts: dict[int, CustomerDebt] = {}
    for invoice in invoices:
        debts.setdefault(invoice.customer_id, CustomerDebt(invoice.customer)).invoices.append(
            invoice
        )
    return sorted(debts.values(), key=lambda debt: (-debt.balance, debt.customer.last_name))


class Command(BaseCommand):
    help = (
        "List overdue invoices (sent, unpaid, due before the date) grouped by customer, with "
        "each customer's total and the grand total. Text for people, CSV for spreadsheets."
    )

    def add_arguments(self, parser):
        add_report_arguments(
            parser,
            as_of_help="YYYY-MM-DD; invoices due before this day are overdue (default: today)",
        )

    def handle(self, *args, format: str, as_of: datetime.date | None, **options):
        as_of = as_of or timezone.localdate()
        debts = overdue_by_customer(company_command_ctx(self, options["company"]), as_of)
        (self.write_csv if format == "csv" else self.write_text)(debts, as_of)

    def write_text(self, debts: list[CustomerDebt], as_of: datetime.date) -> None:
        out = self.stdout
        out.write(f"Overdue invoices as of {as_of}")
        if not debts:
            out.write("Nothing is overdue.")
            return
        for debt in debts:
            contact = " ".join(filter(None, [debt.customer.email, debt.customer.phone]))
            out.write("")
            out.write(f"{debt.customer.full_name} {contact}".rstrip())
            for invoice in debt.invoices:
                days = (as_of - invoice.due_date).days
                out.write(
                    f"  {invoice.number:<16}due {invoice.due_date}  {days:>4} days"
                    f"{invoice.balance_due:>14}"
                )
            out.write(f"  {'Customer total':<41}{debt.balance:>14}")
        count = sum(len(debt.invoices) for debt in debts)
        total = sum((debt.balance for debt in debts), ZERO)
        out.write("")
        out.write(
            f"{plural(count, 'overdue invoice')} for {plural(len(debts), 'customer')}, "
            f"{total} in total"
        )

    def write_csv(self, debts: list[CustomerDebt], as_of: datetime.date) -> None:
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for debt in debts:
            customer = debt.customer
            for invoice in debt.invoices:
                writer.writerow(
                    [
                        customer.pk,
                        customer.full_name,
                        customer.email or "",
                        customer.phone or "",
                        invoice.number,
                        invoice.issued_date,
                        invoice.due_date,
                        (as_of - invoice.due_date).days,
                        invoice.total,
                        invoice.amount_paid,
                        invoice.balance_due,
                    ]
                )
