"""billing.demo: the invoices and payments of demo.json, and volume data."""

import datetime
import io
import json
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from billing import demo, selectors
from billing.models import Invoice, InvoiceCounter, Payment
from customers.models import Customer, Property
from customers.tests.factories import PropertyFactory
from ektor.management.commands.seed_demo import ScaleContext
from tenancy.tests.factories import default_company

pytestmark = pytest.mark.django_db

DATA = json.loads((Path(settings.BASE_DIR) / "ektor" / "demo" / "demo.json").read_text())


@pytest.fixture
def demo_properties():
    """What customers.demo.load creates, made directly (it is another app's loader)."""
    for row in DATA["customers"]:
        Customer.unscoped.create(company=default_company(), **row)
    for row in DATA["properties"]:
        row = dict(row)  # DATA is shared by every test: leave it whole
        customer = Customer.unscoped.get(email=row.pop("customer_email"))
        Property.unscoped.create(
            company=customer.company, customer=customer, **{k: v for k, v in row.items() if v}
        )


def test_load_matches_the_file_and_is_idempotent(ctx, demo_properties):
    out = io.StringIO()
    demo.load(ctx, DATA, stdout=out)
    demo.load(ctx, DATA, stdout=out)
    assert Invoice.unscoped.count() == 8
    assert Payment.unscoped.count() == 2
    statuses = dict(Invoice.unscoped.values_list("property__label", "status"))
    assert {label for label, status in statuses.items() if status == "paid"} == {
        "Martha Residence",
        "Jean Paul Residence",
    }
    assert set(statuses.values()) == {"paid", "sent"}
    numbers = sorted(Invoice.unscoped.values_list("number", flat=True))
    assert numbers == [f"INV-2026-{n:06d}" for n in range(1, 9)]
    assert "invoices: 0 created, 8 kept" in out.getvalue()
    assert "payments: 0 recorded, 2 kept" in out.getvalue()
    billed = sum(Decimal(row["total"]) for row in DATA["invoices"])
    assert sum(Invoice.unscoped.values_list("total", flat=True)) == billed


def test_scale_adds_consistent_rows_and_is_idempotent(ctx):
    PropertyFactory.create_batch(5)
    demo.scale(ctx, ScaleContext(count=5, batch_size=2, stdout=io.StringIO()))
    demo.scale(ctx, ScaleContext(count=5, batch_size=3, stdout=io.StringIO()))
    assert Invoice.unscoped.count() == 5 * demo.SCALE_MONTHS
    # The bulk inserts added their rows to the dashboard's running figures, once.
    assert selectors.receivables_drift(ctx) == {}
    counters = dict(InvoiceCounter.unscoped.values_list("year", "last_number"))
    for year in (2025, 2026):
        numbers = Invoice.unscoped.filter(issued_date__year=year).values_list("number", flat=True)
        # Gap-free per year of the issued date.
        assert sorted(numbers) == [f"INV-{year}-{n:06d}" for n in range(1, counters[year] + 1)]
    for invoice in selectors.invoice_queryset(ctx):
        assert invoice.total == invoice.subtotal + invoice.tax
        assert invoice.amount_paid <= invoice.total
        assert (invoice.status == "paid") == (invoice.balance_due == 0)
        assert invoice.period_start.day == 1 and invoice.issued_date == invoice.period_end
        assert invoice.period_end.month == invoice.period_start.month
        # What billing.settlement would have kept: aging reads these days.
        days = sorted(invoice.payments.values_list("paid_date", flat=True))
        assert invoice.first_received_on == (days[0] if days else None)
        assert invoice.last_received_on == (days[-1] if days else None)
        assert invoice.payments_total == invoice.amount_paid
        settled = max([invoice.issued_date, *days]) if invoice.status == "paid" else None
        assert invoice.settled_on == settled
    for prop in Property.unscoped.all():
        months = sorted(prop.invoices.values_list("period_start", flat=True))
        # Consecutive months of 2025-2026, one invoice each.
        assert len(months) == demo.SCALE_MONTHS and months[0].year == 2025
        assert all((b.year - a.year) * 12 + b.month - a.month == 1 for a, b in pairwise(months))
        assert months[-1] <= datetime.date(2026, 12, 1)


def test_scale_pays_about_five_invoices_in_eight(ctx):
    PropertyFactory.create_batch(40)
    demo.scale(ctx, ScaleContext(count=40, batch_size=40, stdout=io.StringIO()))
    invoices = Invoice.unscoped.count()
    with_payment = Invoice.unscoped.filter(payments__isnull=False).distinct().count()
    assert invoices == 40 * demo.SCALE_MONTHS
    assert 0.55 < with_payment / invoices < 0.70
    paid = Invoice.unscoped.filter(status="paid").count()
    # Some settled in full, some in part.
    assert 0 < with_payment - paid < paid
    assert selectors.receivables_drift(ctx) == {}
    assert Payment.unscoped.count() == with_payment
    # As payment_record requires, though these rows bypass it.
    assert not Payment.unscoped.filter(paid_date__gt=timezone.localdate()).exists()
