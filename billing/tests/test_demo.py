"""billing.demo: the invoices and payments of demo.json, and volume data."""

import io
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from billing import demo, selectors
from billing.models import Invoice, InvoiceNumberCounter, Payment
from customers.models import Customer, Property
from customers.tests.factories import PropertyFactory

pytestmark = pytest.mark.django_db

DATA = json.loads((Path(settings.BASE_DIR) / "ektor" / "demo" / "demo.json").read_text())


@pytest.fixture
def demo_properties():
    """What customers.demo.load creates, made directly (it is another app's loader)."""
    for row in DATA["customers"]:
        Customer.objects.create(**row)
    for row in DATA["properties"]:
        customer = Customer.objects.get(email=row.pop("customer_email"))
        Property.objects.create(customer=customer, **{k: v for k, v in row.items() if v})


def test_load_matches_the_file_and_is_idempotent(demo_properties):
    out = io.StringIO()
    demo.load(DATA, stdout=out)
    demo.load(DATA, stdout=out)
    assert Invoice.objects.count() == 8
    assert Payment.objects.count() == 2
    statuses = dict(Invoice.objects.values_list("property__label", "status"))
    assert {label for label, status in statuses.items() if status == "paid"} == {
        "Martha Residence",
        "Jean Paul Residence",
    }
    assert set(statuses.values()) == {"paid", "sent"}
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"INV-2026-{n:06d}" for n in range(1, 9)]
    assert "invoices: 0 created, 8 kept" in out.getvalue()
    assert "payments: 0 recorded, 2 kept" in out.getvalue()
    billed = sum(Decimal(row["total"]) for row in DATA["invoices"])
    assert sum(Invoice.objects.values_list("total", flat=True)) == billed


@dataclass
class Ctx:
    count: int
    batch_size: int
    stdout: io.StringIO


def test_scale_adds_consistent_rows_and_is_idempotent():
    PropertyFactory.create_batch(5)
    demo.scale(Ctx(count=5, batch_size=2, stdout=io.StringIO()))
    demo.scale(Ctx(count=5, batch_size=3, stdout=io.StringIO()))
    assert Invoice.objects.count() == 5 * len(demo.SCALE_WEEKS)
    assert InvoiceNumberCounter.objects.get(year=2025).last_number == Invoice.objects.count()
    for invoice in selectors.invoice_queryset():
        assert invoice.total == invoice.subtotal + invoice.tax
        assert invoice.amount_paid <= invoice.total
        assert (invoice.status == "paid") == (invoice.balance_due == 0)
