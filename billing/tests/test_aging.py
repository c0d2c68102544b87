"""Aging as of a day (billing.aging): which invoices count, their balance on the day, buckets."""

import datetime
from decimal import Decimal

import pytest

from billing import credits, services
from billing.aging import BUCKETS, aging, aging_totals, bucket_of
from billing.models import Invoice
from billing.tests.conftest import make_invoice
from core.context import Ctx
from customers.tests.factories import CustomerFactory, PropertyFactory
from tenancy.scoping import company_today
from tenancy.tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db

D = datetime.date
AS_OF = D(2026, 6, 30)


def due_days_ago(days: int, *, prop=None, total="100.00") -> Invoice:
    """A sent invoice `days` past due on AS_OF (issued 10 days before its due date)."""
    due = AS_OF - datetime.timedelta(days=days)
    issued = min(due, AS_OF) - datetime.timedelta(days=10)
    return make_invoice(prop=prop, total=total, issued=issued.isoformat(), due_date=due)


def pay(ctx, invoice, amount, day):
    return services.payment_record(
        ctx, invoice_id=invoice.pk, amount=Decimal(amount), paid_date=day
    )


def figures(result) -> dict:
    return {bucket: str(amount) for bucket, amount in result.totals.items() if amount}


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (-5, "current"),
        (0, "current"),
        (1, "1_30"),
        (30, "1_30"),
        (31, "31_60"),
        (60, "31_60"),
        (61, "61_90"),
        (90, "61_90"),
        (91, "over_90"),
        (400, "over_90"),
    ],
)
def test_bucket_boundaries(ctx, days, bucket):
    due_days_ago(days)
    result = aging(ctx, as_of=AS_OF)
    assert figures(result) == {bucket: "100.00"}
    assert bucket_of(AS_OF, AS_OF - datetime.timedelta(days=days)) == bucket
    assert result.total == Decimal("100.00")


def test_no_due_date_is_current(ctx):
    make_invoice(issued="2025-01-10", due_date=None, total="42.10")
    assert figures(aging(ctx, as_of=AS_OF)) == {"current": "42.10"}
    assert bucket_of(AS_OF, None) == "current"


def test_invoice_issued_after_as_of_is_left_out(ctx):
    invoice = make_invoice(issued="2026-07-01")
    assert aging(ctx, as_of=AS_OF).customers == []
    assert figures(aging(ctx, as_of=invoice.issued_date)) == {"current": "100.00"}
    # On its issued date it counts (issued on or before the day).
    assert aging(ctx, as_of=invoice.issued_date - datetime.timedelta(days=1)).total == 0


def test_partial_payment_and_payment_after_as_of(ctx):
    invoice = due_days_ago(45, total="250.00")
    pay(ctx, invoice, "40.25", AS_OF)  # on the day: counts
    pay(ctx, invoice, "9.75", AS_OF + datetime.timedelta(days=1))  # after: does not
    assert figures(aging(ctx, as_of=AS_OF)) == {"31_60": "209.75"}
    assert figures(aging(ctx, as_of=AS_OF + datetime.timedelta(days=1))) == {"31_60": "200.00"}


def test_invoice_paid_after_as_of_is_owed_on_the_day(ctx):
    invoice = due_days_ago(10)
    pay(ctx, invoice, "100.00", AS_OF + datetime.timedelta(days=3))
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert invoice.settled_on == AS_OF + datetime.timedelta(days=3)
    assert figures(aging(ctx, as_of=AS_OF)) == {"1_30": "100.00"}
    assert figures(aging(ctx, as_of=AS_OF + datetime.timedelta(days=2))) == {"1_30": "100.00"}
    assert aging(ctx, as_of=AS_OF + datetime.timedelta(days=3)).customers == []


def test_settled_on_and_first_received_on_whatever_the_order(ctx):
    invoice = due_days_ago(10)
    pay(ctx, invoice, "60.00", AS_OF + datetime.timedelta(days=5))
    invoice.refresh_from_db()
    assert (invoice.first_received_on, invoice.settled_on) == (
        AS_OF + datetime.timedelta(days=5),
        None,
    )
    pay(ctx, invoice, "40.00", AS_OF + datetime.timedelta(days=1))  # settles, backdated
    invoice.refresh_from_db()
    assert invoice.first_received_on == AS_OF + datetime.timedelta(days=1)
    assert invoice.settled_on == invoice.last_received_on == AS_OF + datetime.timedelta(days=5)
    assert invoice.payments_total == Decimal("100.00")
    assert figures(aging(ctx, as_of=AS_OF)) == {"1_30": "100.00"}
    assert figures(aging(ctx, as_of=AS_OF + datetime.timedelta(days=4))) == {"1_30": "60.00"}


def test_credit_applications_count_from_the_day_they_are_applied(ctx):
    invoice = due_days_ago(10)
    pay(ctx, invoice, "30.00", AS_OF - datetime.timedelta(days=2))
    credit = credits.credit_create(
        ctx, customer_id=invoice.customer_id, amount=Decimal("70.00"), reason="Goodwill"
    )
    credits.credit_apply(ctx, credit_id=credit.pk, invoice_id=invoice.pk, amount=Decimal("70.00"))
    today = company_today(ctx)  # the application's day, months after AS_OF
    invoice.refresh_from_db()
    assert (invoice.status, invoice.settled_on) == ("paid", today)
    assert figures(aging(ctx, as_of=AS_OF)) == {"1_30": "70.00"}
    assert figures(aging(ctx, as_of=today - datetime.timedelta(days=1))) == {"over_90": "70.00"}
    assert aging(ctx, as_of=today).customers == []


def test_reversing_the_first_payment_moves_first_received_on(ctx):
    invoice = due_days_ago(10)
    first = pay(ctx, invoice, "30.00", AS_OF - datetime.timedelta(days=3))
    pay(ctx, invoice, "20.00", AS_OF)
    services.payment_reverse(ctx, payment_id=first.pk, reason="Wrong invoice")
    invoice.refresh_from_db()
    assert (invoice.first_received_on, invoice.settled_on) == (AS_OF, None)
    assert (invoice.last_received_on, invoice.payments_total) == (AS_OF, Decimal("20.00"))
    assert figures(aging(ctx, as_of=AS_OF - datetime.timedelta(days=1))) == {"1_30": "100.00"}
    assert figures(aging(ctx, as_of=AS_OF)) == {"1_30": "80.00"}


def test_a_day_between_the_first_and_the_last_receipt_reads_the_payments(ctx):
    # From the last receipt on, the row's payments_total and amount_credited say the balance;
    # before it, the payments and applications up to the day do.
    invoice = due_days_ago(10)
    pay(ctx, invoice, "30.00", AS_OF - datetime.timedelta(days=4))
    pay(ctx, invoice, "25.00", AS_OF + datetime.timedelta(days=2))
    invoice.refresh_from_db()
    assert (invoice.first_received_on, invoice.last_received_on) == (
        AS_OF - datetime.timedelta(days=4),
        AS_OF + datetime.timedelta(days=2),
    )
    assert figures(aging(ctx, as_of=AS_OF - datetime.timedelta(days=5))) == {"1_30": "100.00"}
    assert figures(aging(ctx, as_of=AS_OF)) == {"1_30": "70.00"}
    assert figures(aging(ctx, as_of=AS_OF + datetime.timedelta(days=2))) == {"1_30": "45.00"}
    assert aging_totals(ctx, as_of=AS_OF) == aging(ctx, as_of=AS_OF).totals


def test_reversed_payment_counts_on_no_day(ctx):
    invoice = due_days_ago(20)
    payment = pay(ctx, invoice, "100.00", AS_OF - datetime.timedelta(days=5))
    assert aging(ctx, as_of=AS_OF).customers == []
    services.payment_reverse(ctx, payment_id=payment.pk, reason="Bounced check")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.settled_on) == ("sent", None)
    assert (invoice.last_received_on, invoice.payments_total) == (None, Decimal("0.00"))
    # Even on a day before it was reversed: a reversed payment was never money in.
    assert figures(aging(ctx, as_of=AS_OF - datetime.timedelta(days=5))) == {"1_30": "100.00"}
    assert figures(aging(ctx, as_of=AS_OF)) == {"1_30": "100.00"}


def test_void_and_draft_and_zero_invoices_never_count(ctx):
    void = due_days_ago(15)
    services.invoice_void(ctx, invoice=void, reason="Billed twice")
    make_invoice(issued="2026-05-01", status="draft")
    zero = make_invoice(issued="2026-05-01", total="0.00")
    assert (zero.status, zero.settled_on) == ("paid", D(2026, 5, 1))
    assert aging(ctx, as_of=AS_OF).customers == []


def test_customers_rows_add_up_to_the_totals(ctx):
    martha = PropertyFactory(customer=CustomerFactory(first_name="Martha", last_name="Perez"))
    ana = PropertyFactory(customer=CustomerFactory(first_name="Ana", last_name="Colon"))
    for days, total in ((0, "10.01"), (5, "20.02"), (35, "30.03"), (100, "0.01")):
        due_days_ago(days, prop=martha, total=total)
    due_days_ago(5, prop=ana, total="0.33")
    third = due_days_ago(5, prop=ana, total="0.34")
    pay(ctx, third, "0.01", AS_OF)
    due_days_ago(70, prop=PropertyFactory(customer=ana.customer), total="99.99")
    result = aging(ctx, as_of=AS_OF)
    assert [(c["name"], c["total"]) for c in result.customers] == [
        ("Ana Colon", Decimal("100.65")),
        ("Martha Perez", Decimal("60.07")),
    ]
    assert {key: str(value) for key, value in result.customers[0].items()} == {
        "customer_id": str(ana.customer_id),
        "name": "Ana Colon",
        "current": "0.00",
        "1_30": "0.66",
        "31_60": "0.00",
        "61_90": "99.99",
        "over_90": "0.00",
        "total": "100.65",
    }
    assert figures(result) == {
        "current": "10.01",
        "1_30": "20.68",
        "31_60": "30.03",
        "61_90": "99.99",
        "over_90": "0.01",
    }
    assert result.total == sum(result.totals.values()) == Decimal("160.72")
    for bucket in BUCKETS:
        assert result.totals[bucket] == sum(c[bucket] for c in result.customers)
    for as_of in (AS_OF, AS_OF - datetime.timedelta(days=40), AS_OF + datetime.timedelta(days=60)):
        assert aging_totals(ctx, as_of=as_of) == aging(ctx, as_of=as_of).totals


def test_other_companies_invoices_are_not_counted(ctx):
    due_days_ago(3)
    other = CompanyFactory()
    prop = PropertyFactory(customer=CustomerFactory(company=other))
    due_days_ago(3, prop=prop, total="999.00")
    assert figures(aging(ctx, as_of=AS_OF)) == {"1_30": "100.00"}
    assert figures(aging(Ctx.system(other), as_of=AS_OF)) == {"1_30": "999.00"}
    assert aging_totals(ctx, as_of=AS_OF)["1_30"] == Decimal("100.00")


def test_two_queries_and_the_totals_alone_one(ctx, django_assert_num_queries):
    for days in (0, 10, 40, 70, 100):
        due_days_ago(days, prop=PropertyFactory())
    with django_assert_num_queries(2):
        assert len(aging(ctx, as_of=AS_OF).customers) == 5
    with django_assert_num_queries(1):  # nobody owes: no names to read
        assert aging(ctx, as_of=AS_OF - datetime.timedelta(days=500)).customers == []
    with django_assert_num_queries(1):
        assert set(aging_totals(ctx, as_of=AS_OF).values()) == {Decimal("100.00")}


def test_every_amount_has_two_places(ctx):
    # MariaDB's values are read as they come (billing.models.Money): cents, never more places.
    due_days_ago(5, total="100.10")
    partly = due_days_ago(40, total="80.05")
    pay(ctx, partly, "0.05", AS_OF - datetime.timedelta(days=1))
    pay(ctx, due_days_ago(70, total="12.34"), "2.34", AS_OF + datetime.timedelta(days=3))
    result = aging(ctx, as_of=AS_OF)
    amounts = [
        *result.totals.values(),
        *aging_totals(ctx, as_of=AS_OF).values(),
        *(row[key] for row in result.customers for key in (*BUCKETS, "total")),
    ]
    assert {amount.as_tuple().exponent for amount in amounts} == {-2}
    assert result.total == Decimal("192.44")
