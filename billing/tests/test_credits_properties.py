"""Property test (hypothesis): whatever sequence of invoices, sends, payments (with and without
overpayment credit), reversals, credits, credit notes, applications and voids happens, every
customer's figures agree to the cent and no invoice is ever settled beyond its total.

Each figure of what a customer owes is read the way the app reads it (`figures`); another read
(the aging report's total, the statement's closing balance) joins by adding an entry there.
"""

import contextlib
import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing import credits, selectors, services
from billing.aging import aging, aging_totals
from billing.models import Credit, CreditApplication, Invoice, InvoiceStatus, Payment
from billing.tests.conftest import make_invoice
from core.context import Ctx
from core.errors import ApplicationError
from customers.tests.factories import PropertyFactory
from tenancy.scoping import company_today

pytestmark = pytest.mark.django_db

CUSTOMERS = 2
cents = st.integers(min_value=1, max_value=20_000)
customer = st.integers(min_value=0, max_value=CUSTOMERS - 1)
pick = st.integers(min_value=0, max_value=50)  # an earlier row, modulo how many there are

operations = st.one_of(
    st.tuples(st.just("invoice"), customer, cents, st.sampled_from(["sent", "draft"])),
    st.tuples(st.just("send"), pick),
    st.tuples(st.just("pay"), pick, cents, st.booleans()),
    st.tuples(st.just("reverse"), pick),
    st.tuples(st.just("credit"), customer, cents),
    st.tuples(st.just("credit_note"), pick, cents),
    st.tuples(st.just("apply"), pick, pick, cents),
    st.tuples(st.just("void"), pick),
)


def money(amount: int) -> Decimal:
    return Decimal(amount) / 100


@dataclass
class World:
    ctx: Ctx
    props: list[Any]
    invoices: list[Invoice] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    credits: list[Credit] = field(default_factory=list)

    def nth(self, rows: list, index: int) -> Any:
        return rows[index % len(rows)] if rows else None


def run(world: World, operation: tuple) -> None:
    """One operation; a refusal (a rule said no) changes nothing, as the services promise."""
    ctx, kind, args = world.ctx, operation[0], operation[1:]
    if kind == "invoice":
        who, amount, status = args
        world.invoices.append(
            make_invoice(prop=world.props[who], total=str(money(amount)), status=status)
        )
        return
    if kind == "credit":
        who, amount = args
        world.credits.append(
            credits.credit_create(
                ctx,
                customer_id=world.props[who].customer_id,
                amount=money(amount),
                reason="Goodwill",
            )
        )
        return
    invoice = world.nth(world.invoices, args[0])
    if invoice is None:
        return
    if kind == "send":
        services.invoice_send(ctx, invoice=invoice)
    elif kind == "void":
        services.invoice_void(ctx, invoice=invoice, reason="Wrong")
    elif kind == "pay":
        payment = services.payment_record(
            ctx,
            invoice_id=invoice.pk,
            amount=money(args[1]),
            overpayment="credit" if args[2] else None,
        )
        world.payments.append(payment)
        world.credits += list(Credit.objects.of(ctx).filter(payment=payment))
    elif kind == "reverse":
        payment = world.nth(world.payments, args[0])
        if payment is not None:
            services.payment_reverse(ctx, payment_id=payment.pk, reason="Bounced")
    elif kind == "credit_note":
        world.credits.append(
            credits.credit_create(
                ctx,
                customer_id=invoice.customer_id,
                amount=money(args[1]),
                reason="Billed twice",
                invoice_id=invoice.pk,
            )
        )
    elif kind == "apply":
        credit = world.nth(world.credits, args[1])
        if credit is not None:
            credits.credit_apply(
                ctx, credit_id=credit.pk, invoice_id=invoice.pk, amount=money(args[2])
            )


def _api_net(client) -> Callable[[Ctx, int], Decimal]:
    def read(ctx: Ctx, customer_id: int) -> Decimal:
        body = client.get(f"/api/v1/customers/{customer_id}/balance").json()
        assert Decimal(body["net_balance"]) == Decimal(body["balance_due"]) - Decimal(
            body["unapplied_credit"]
        )
        return Decimal(body["net_balance"])

    return read


def expected_net(ctx: Ctx, customer_id: int) -> Decimal:
    """What the customer owes, summed from the rows: each invoice's balance_due (drafts are not
    owed yet) minus the credit not yet applied."""
    owed = sum(
        (
            invoice.balance_due
            for invoice in selectors.invoice_queryset(ctx).filter(customer_id=customer_id)
            if invoice.status != InvoiceStatus.DRAFT
        ),
        Decimal("0.00"),
    )
    unapplied = sum(
        (credit.remaining for credit in Credit.objects.of(ctx).filter(customer_id=customer_id)),
        Decimal("0.00"),
    )
    return owed - unapplied


def _aging_net(ctx: Ctx, customer_id: int) -> Decimal:
    """The customer's row of the aging report as of today, less the credit not yet applied."""
    report = aging(ctx, as_of=company_today(ctx))
    rows = [row for row in report.customers if row["customer_id"] == customer_id]
    owed = rows[0]["total"] if rows else Decimal("0.00")
    assert report.total == sum(report.totals.values(), Decimal("0.00"))
    assert aging_totals(ctx, as_of=report.as_of) == report.totals
    return owed - selectors.customer_balance(ctx, customer_id=customer_id).unapplied_credit


def _statement_net(ctx: Ctx, customer_id: int) -> Decimal:
    """The closing balance of the customer's statement from before the first invoice to today,
    which is their net balance (docs/api.md, the statement)."""
    statement = selectors.customer_statement(
        ctx,
        customer_id=customer_id,
        from_date=datetime.date(2020, 1, 1),
        to_date=company_today(ctx),
    )
    assert statement.closing_balance + statement.unapplied_credit == sum(
        (item.balance_due for item in statement.items if item.status != InvoiceStatus.DRAFT),
        Decimal("0.00"),
    )
    return statement.closing_balance


def figures(client) -> dict[str, Callable[[Ctx, int], Decimal]]:
    """Each read of a customer's net balance that must equal expected_net."""
    return {
        "selector": lambda ctx, c: selectors.customer_balance(ctx, customer_id=c).net_balance,
        "api": _api_net(client),
        "aging": _aging_net,
        "statement": _statement_net,
    }


def check(world: World, client) -> None:
    ctx = world.ctx
    for invoice in selectors.invoice_queryset(ctx):
        settled = invoice.amount_paid + invoice.amount_credited
        assert settled <= invoice.total, invoice
        if invoice.status in (InvoiceStatus.SENT, InvoiceStatus.PAID):
            assert (invoice.status == InvoiceStatus.PAID) == (settled == invoice.total), invoice
        if invoice.status == InvoiceStatus.DRAFT:
            assert settled == 0, invoice
        applied = sum(
            (a.amount for a in CreditApplication.objects.of(ctx).filter(invoice=invoice)),
            Decimal("0.00"),
        )
        assert invoice.amount_credited == applied, invoice
        # What billing.settlement keeps on the row for aging.
        assert invoice.payments_total == invoice.amount_paid, invoice
        days = [
            *invoice.payments.filter(reversed_at__isnull=True).values_list("paid_date", flat=True),
            *invoice.credit_applications.values_list("applied_date", flat=True),
        ]
        assert invoice.first_received_on == min(days, default=None), invoice
        assert invoice.last_received_on == max(days, default=None), invoice
    for credit in Credit.objects.of(ctx):
        applied = sum((a.amount for a in credit.applications.all()), Decimal("0.00"))
        if credit.voided_at is None:
            assert credit.amount - credit.remaining == applied, credit
        else:
            assert (credit.remaining, applied) == (Decimal("0.00"), Decimal("0.00")), credit
    for prop in world.props:
        want = expected_net(ctx, prop.customer_id)
        for name, read in figures(client).items():
            assert read(ctx, prop.customer_id) == want, (name, prop.customer_id)
    assert selectors.receivables_drift(ctx) == {}


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(operations, min_size=1, max_size=25))
def test_every_customers_figures_agree_to_the_cent(ctx, admin_client_api, steps):
    # Each example in its own savepoint, rolled back: the next starts from an empty company.
    with transaction.atomic():
        world = World(ctx=ctx, props=[PropertyFactory() for _ in range(CUSTOMERS)])
        for operation in steps:
            with contextlib.suppress(ApplicationError):
                run(world, operation)
        check(world, admin_client_api)
        transaction.set_rollback(True)


def test_the_property_test_reaches_its_rules(ctx, admin_client_api):
    """A fixed sequence through every operation, so the property test's harness is known to
    exercise what it claims (a credit note, an overpayment, an application, a reversal)."""
    world = World(ctx=ctx, props=[PropertyFactory() for _ in range(CUSTOMERS)])
    for operation in [
        ("invoice", 0, 10_000, "sent"),
        ("invoice", 0, 5_000, "draft"),
        ("pay", 0, 12_000, True),
        ("credit_note", 0, 1_000),
        ("send", 1),
        ("apply", 1, 0, 2_000),
        ("invoice", 1, 3_000, "sent"),
        ("credit", 1, 500),
        ("apply", 2, 2, 500),
        ("void", 1),
    ]:
        with contextlib.suppress(ApplicationError):
            run(world, operation)
    first = world.props[0].customer_id
    assert selectors.customer_balance(ctx, customer_id=first).net_balance == Decimal("20.00")
    world.invoices[1].refresh_from_db()
    assert world.invoices[1].status == InvoiceStatus.SENT  # its void refused: it has credits
    check(world, admin_client_api)
