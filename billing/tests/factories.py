import datetime
from decimal import Decimal

import factory

from billing.models import Invoice, InvoiceStatus, Payment, PaymentMethod
from customers.tests.factories import PropertyFactory


class InvoiceFactory(factory.django.DjangoModelFactory):
    """A raw row, for reads and admin pages; tests of rules go through the services."""

    class Meta:
        model = Invoice

    property = factory.SubFactory(PropertyFactory)
    customer = factory.SelfAttribute("property.customer")
    company = factory.SelfAttribute("property.company")
    period_start = datetime.date(2026, 1, 5)
    period_end = datetime.date(2026, 1, 11)
    issued_date = datetime.date(2026, 1, 11)
    due_date = datetime.date(2026, 1, 18)
    status = InvoiceStatus.DRAFT
    subtotal = Decimal("100.00")
    tax = Decimal("0.00")
    total = factory.LazyAttribute(lambda o: o.subtotal + o.tax)


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    invoice = factory.SubFactory(InvoiceFactory)
    company = factory.SelfAttribute("invoice.company")
    amount = Decimal("10.00")
    paid_date = datetime.date(2026, 1, 12)
    method = PaymentMethod.CASH
