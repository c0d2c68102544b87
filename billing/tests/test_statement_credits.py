"""The statement's credits, credit applications and invoice lines, and its exactness: the
account's closing balance is what the customer owes net of their credits."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from billing import selectors, services
from billing.models import Credit, CreditSource, Invoice, InvoiceStatus
from billing.tests.conftest import make_invoice
from billing.tests.factories import CreditFactory, credit_apply_raw
from core.money import ZERO
from customers.tests.factories import CustomerFactory, PropertyFactory

pytestmark = pytest.mark.django_db

D = datetime.date


def url(customer_id, query="from=2026-01-01&to=2026-01-31"):
    return f"/api/v1/reports/customers/{customer_id}/statement?{query}"


@pytest.fixture
def account(ctx):
    """Hand-computed January: invoices sent for 100.00 (paid with a 110.00 cheque: 10.00 kept
    as credit) and 250.50 (50.25 paid, a 30.00 credit note against it applied at once); a
    manual credit of 20.00 not applied in January. The account: 350.50 invoiced - 150.25 paid
    - 60.00 credited = 140.25 owed on January 31; 30.00 of the credit is unapplied, so the
    invoices owe 170.25 (the 250.50 one: 250.50 - 50.25 - 30.00). In February a 70.00 invoice
    takes the manual credit's 20.00."""
    customer = CustomerFactory(first_name="Rosa", last_name="Vega")
    home = PropertyFactory(customer=customer)
    paid = make_invoice(prop=home, total="100.00", issued="2026-01-05")
    cheque = services.payment_record(
        ctx, invoice_id=paid.pk, amount=Decimal("100.00"), paid_date=D(2026, 1, 10)
    )
    over = CreditFactory(
        customer=customer,
        source=CreditSource.OVERPAYMENT,
        payment=cheque,
        invoice=paid,
        amount=Decimal("10.00"),
        reason="Overpaid by cheque",
        credit_date=D(2026, 1, 10),
    )
    partial = make_invoice(prop=home, total="250.50", issued="2026-01-05")
    services.payment_record(
        ctx, invoice_id=partial.pk, amount=Decimal("50.25"), paid_date=D(2026, 1, 20)
    )
    note = CreditFactory(
        customer=customer,
        source=CreditSource.CREDIT_NOTE,
        invoice=partial,
        amount=Decimal("30.00"),
        reason="Missed visit",
        credit_date=D(2026, 1, 25),
    )
    applied = credit_apply_raw(note, partial, "30.00", "2026-01-25")
    manual = CreditFactory(
        customer=customer, amount=Decimal("20.00"), reason="Goodwill", credit_date=D(2026, 1, 28)
    )
    february = make_invoice(prop=home, total="70.00", issued="2026-02-02")
    credit_apply_raw(manual, february, "20.00", "2026-02-03")
    # Another customer's credit is not on this statement.
    CreditFactory(amount=Decimal("99.00"))
    return customer, {
        "paid": paid,
        "partial": partial,
        "february": february,
        "over": over,
        "note": note,
        "manual": manual,
        "applied": applied,
    }


def test_credits_and_applications_are_entries_of_the_period(staff_client_api, account):
    customer, rows = account
    body = staff_client_api.get(url(customer.pk)).json()
    assert body["credits"] == [
        {
            "credit_id": rows["over"].pk,
            "credit_date": "2026-01-10",
            "source": "overpayment",
            "reason": "Overpaid by cheque",
            "invoice_id": rows["paid"].pk,
            "number": rows["paid"].number,
            "amount": "10.00",
        },
        {
            "credit_id": rows["note"].pk,
            "credit_date": "2026-01-25",
            "source": "credit_note",
            "reason": "Missed visit",
            "invoice_id": rows["partial"].pk,
            "number": rows["partial"].number,
            "amount": "30.00",
        },
        {
            "credit_id": rows["manual"].pk,
            "credit_date": "2026-01-28",
            "source": "manual",
            "reason": "Goodwill",
            "invoice_id": None,
            "number": None,
            "amount": "20.00",
        },
    ]
    assert body["credit_applications"] == [
        {
            "application_id": rows["applied"].pk,
            "credit_id": rows["note"].pk,
            "invoice_id": rows["partial"].pk,
            "number": rows["partial"].number,
            "applied_date": "2026-01-25",
            "amount": "30.00",
        }
    ]
    figures = {
        name: body[name]
        for name in (
            "total",
            "paid_total",
            "credited_total",
            "balance_due",
            "opening_balance",
            "invoiced_total",
            "payments_total",
            "credits_total",
            "applied_total",
            "closing_balance",
            "unapplied_credit",
        )
    }
    assert figures == {
        "total": "350.50",
        "paid_total": "150.25",
        # What is credited on the period's invoices lowers their balance (v1's balance_due).
        "credited_total": "30.00",
        "balance_due": "170.25",
        "opening_balance": "0.00",
        "invoiced_total": "350.50",
        "payments_total": "150.25",
        "credits_total": "60.00",
        "applied_total": "30.00",
        "closing_balance": "140.25",
        "unapplied_credit": "30.00",
    }
    partial = next(i for i in body["items"] if i["invoice_id"] == rows["partial"].pk)
    assert (partial["amount_credited"], partial["balance_due"]) == ("30.00", "170.25")


def test_the_next_period_opens_where_the_last_closed(staff_client_api, account):
    customer, rows = account
    body = staff_client_api.get(url(customer.pk, "from=2026-02-01&to=2026-02-28")).json()
    assert body["credits"] == []
    assert [a["invoice_id"] for a in body["credit_applications"]] == [rows["february"].pk]
    assert (
        body["opening_balance"],
        body["invoiced_total"],
        body["applied_total"],
        body["closing_balance"],
        body["unapplied_credit"],
    ) == ("140.25", "70.00", "20.00", "210.25", "10.00")
    # An application moves credit onto an invoice: the account does not change.
    assert body["items"][0]["balance_due"] == "50.00"


def customer_balance(customer) -> tuple[Decimal, Decimal]:
    """What the customer owes on their sent invoices (total - paid - credited) and their
    credits' remainders, summed from the rows."""
    owed = Invoice.unscoped.filter(
        customer=customer, status__in=(InvoiceStatus.SENT, InvoiceStatus.PAID)
    )
    invoices = sum(
        (
            invoice.total
            - sum((p.amount for p in invoice.payments.all() if p.reversed_at is None), ZERO)
            - invoice.amount_credited
            for invoice in owed
        ),
        ZERO,
    )
    remaining = sum((c.remaining for c in Credit.unscoped.filter(customer=customer)), ZERO)
    return invoices, remaining


def test_the_closing_balance_is_the_customers_balance(ctx, account):
    customer, _ = account
    statement = selectors.customer_statement(
        ctx, customer_id=customer.pk, from_date=D(2020, 1, 1), to_date=D(2030, 12, 31)
    )
    invoices, remaining = customer_balance(customer)
    assert (invoices, remaining) == (Decimal("220.25"), Decimal("10.00"))
    assert statement.closing_balance == invoices - remaining
    assert statement.unapplied_credit == remaining
    # The same account, read in two periods.
    january = selectors.customer_statement(
        ctx, customer_id=customer.pk, from_date=D(2020, 1, 1), to_date=D(2026, 1, 31)
    )
    rest = selectors.customer_statement(
        ctx, customer_id=customer.pk, from_date=D(2026, 2, 1), to_date=D(2030, 12, 31)
    )
    assert rest.opening_balance == january.closing_balance
    assert rest.closing_balance == statement.closing_balance


def test_a_reversed_overpayment_and_its_voided_credit_count_on_no_day(ctx):
    invoice = make_invoice(total="100.00")
    payment = services.payment_record(
        ctx, invoice_id=invoice.pk, amount=Decimal("130.00"), overpayment="credit"
    )
    services.payment_reverse(ctx, payment_id=payment.pk, reason="Bounced")
    statement = selectors.customer_statement(
        ctx, customer_id=invoice.customer_id, from_date=D(2020, 1, 1), to_date=D(2030, 12, 31)
    )
    balance = selectors.customer_balance(ctx, customer_id=invoice.customer_id)
    assert (statement.closing_balance, statement.unapplied_credit) == (Decimal("100.00"), ZERO)
    assert statement.credits == [] and balance.net_balance == Decimal("100.00")


def test_items_show_their_lines(ctx, staff_client_api):
    prop = PropertyFactory()
    invoice = services.invoice_create(
        ctx,
        customer_id=prop.customer_id,
        property_id=prop.pk,
        period_start=D(2026, 1, 1),
        period_end=D(2026, 1, 31),
        issued_date=D(2026, 1, 31),
        lines=[
            {"kind": "plan", "description": "Weekly service, January 2026",
             "unit_price": Decimal("160.00")},
            {"kind": "chemical", "description": "Liquid chlorine", "quantity": Decimal("2.5"),
             "unit_price": Decimal("4.99"), "tax_rate": Decimal("11.50")},
        ],
    )  # fmt: skip
    body = staff_client_api.get(url(prop.customer_id)).json()
    (item,) = body["items"]
    assert item["total"] == "173.92"
    first, second = invoice.lines.order_by("id")
    assert item["lines"] == [
        {
            "line_id": first.pk,
            "kind": "plan",
            "description": "Weekly service, January 2026",
            "item_id": None,
            "visit_id": None,
            "plan_id": None,
            "quantity": "1.000",
            "unit_price": "160.00",
            "tax_rate": "0.00",
            "amount": "160.00",
            "tax": "0.00",
        },
        {
            "line_id": second.pk,
            "kind": "chemical",
            "description": "Liquid chlorine",
            "item_id": None,
            "visit_id": None,
            "plan_id": None,
            "quantity": "2.500",
            "unit_price": "4.99",
            "tax_rate": "11.50",
            "amount": "12.48",
            "tax": "1.44",
        },
    ]


def test_the_command_lists_credits_and_the_net_balance(account):
    customer, rows = account
    out = io.StringIO()
    call_command(
        "statement", str(customer.pk), "--from", "2026-01-01", "--to", "2026-01-31", stdout=out
    )
    lines = [line.split() for line in out.getvalue().splitlines()]
    assert [
        "2026-01-25",
        rows["partial"].number,
        "credit_note",
        "Missed",
        "visit",
        "30.00",
    ] in lines
    assert ["2026-01-25", rows["partial"].number, "credit", f"#{rows['note'].pk}", "30.00"] in lines
    assert ["Credits", "granted", "in", "the", "period", "-60.00"] in lines
    assert ["Balance", "due", "on", "2026-01-31", "140.25"] in lines
    assert ["of", "which", "credit", "not", "applied", "yet", "30.00"] in lines
