"""Credits under concurrent requests, on MariaDB (real row locks): one credit applied to many
invoices at once, and credits and payments racing for the last of an invoice.

Each thread runs the service in its own database connection (ektor.testing.run_at_once).
"""

from collections import Counter
from decimal import Decimal

import pytest

from billing import credits, selectors, services
from billing.models import Credit, InvoiceStatus
from billing.tests.conftest import make_invoice
from billing.tests.test_concurrency import run_together
from customers.tests.factories import PropertyFactory

pytestmark = [pytest.mark.mariadb, pytest.mark.django_db(transaction=True)]

TEN = Decimal("10.00")


def test_twenty_applications_of_ten_from_a_credit_of_a_hundred(ctx):
    prop = PropertyFactory()
    invoices = [make_invoice(prop=prop, total="50.00") for _ in range(20)]
    credit = credits.credit_create(
        ctx, customer_id=prop.customer_id, amount=Decimal("100.00"), reason="Prepaid"
    )
    results = run_together(
        20,
        lambda n: credits.credit_apply(
            ctx, credit_id=credit.pk, invoice_id=invoices[n].pk, amount=TEN
        ),
    )
    assert Counter(results) == {"ok": 10, "409 credit_exceeds_remaining": 10}
    credit.refresh_from_db()
    assert credit.remaining == Decimal("0.00")
    assert sum(application.amount for application in credit.applications.all()) == Decimal("100")
    credited = [selectors.invoice_get(ctx, invoice_id=i.pk).amount_credited for i in invoices]
    assert Counter(credited) == {TEN: 10, Decimal("0.00"): 10}
    assert selectors.receivables_drift(ctx) == {}


@pytest.mark.parametrize("attempt", range(5))
def test_credits_and_payments_racing_for_the_last_thirty_never_overpay(ctx, attempt):
    """Four applications (of two credits) and four payments of 10.00 each, all at once, on an
    invoice that owes its last 30.00: exactly three land, whichever they are."""
    invoice = make_invoice(total="100.00")
    services.payment_record(ctx, invoice_id=invoice.pk, amount=Decimal("70.00"))
    pair = [
        credits.credit_create(ctx, customer_id=invoice.customer_id, amount=TEN * 2, reason="x")
        for _ in range(2)
    ]

    def work(n: int):
        if n < 4:
            return credits.credit_apply(
                ctx, credit_id=pair[n % 2].pk, invoice_id=invoice.pk, amount=TEN
            )
        return services.payment_record(ctx, invoice_id=invoice.pk, amount=TEN)

    results = Counter(run_together(8, work))
    assert results["ok"] == 3
    # Once the third lands the invoice is paid: the rest meet that rule.
    assert set(results) <= {"ok", "409 invoice_already_paid", "409 credit_invoice_not_sent"}
    row = selectors.invoice_get(ctx, invoice_id=invoice.pk)
    assert row.amount_paid + row.amount_credited == row.total
    assert (row.status, row.balance_due) == (InvoiceStatus.PAID, Decimal("0.00"))
    left = sum(c.remaining for c in Credit.objects.of(ctx).filter(pk__in=[c.pk for c in pair]))
    assert left == TEN * 4 - row.amount_credited
    assert selectors.receivables_drift(ctx) == {}


@pytest.mark.parametrize("attempt", range(5))
def test_a_credit_and_a_payment_racing_for_the_last_ten(ctx, attempt):
    invoice = make_invoice(total="100.00")
    services.payment_record(ctx, invoice_id=invoice.pk, amount=Decimal("90.00"))
    credit = credits.credit_create(
        ctx, customer_id=invoice.customer_id, amount=Decimal("50.00"), reason="x"
    )

    def work(n: int):
        if n == 0:
            return credits.credit_apply(ctx, credit_id=credit.pk, invoice_id=invoice.pk, amount=TEN)
        return services.payment_record(ctx, invoice_id=invoice.pk, amount=TEN)

    results = run_together(2, work)
    assert results.count("ok") == 1
    row = selectors.invoice_get(ctx, invoice_id=invoice.pk)
    assert (row.amount_paid + row.amount_credited, row.balance_due) == (row.total, Decimal("0"))
    credit.refresh_from_db()
    assert credit.remaining == Decimal("50.00") - row.amount_credited
    assert selectors.receivables_drift(ctx) == {}
