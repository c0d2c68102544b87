import datetime
from decimal import Decimal

import factory
from django.db.models import F

from billing.models import (
    Credit,
    CreditApplication,
    CreditSource,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentMethod,
)
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


class CreditFactory(factory.django.DjangoModelFactory):
    """A raw credit, nothing of it applied yet (apply it with credit_apply_raw)."""

    class Meta:
        model = Credit

    customer = factory.SubFactory("customers.tests.factories.CustomerFactory")
    company = factory.SelfAttribute("customer.company")
    source = CreditSource.MANUAL
    amount = Decimal("20.00")
    remaining = factory.SelfAttribute("amount")
    reason = "Goodwill"
    credit_date = datetime.date(2026, 1, 15)


def credit_apply_raw(
    credit: Credit, invoice: Invoice, amount: str, applied: str = "2026-01-20"
) -> CreditApplication:
    """A credit application written as rows, in the state the credit services leave: the
    credit's remaining and the invoice's amount_credited move by its amount."""
    value = Decimal(amount)
    application = CreditApplication.objects.create(
        company=credit.company,
        credit=credit,
        invoice=invoice,
        amount=value,
        applied_date=datetime.date.fromisoformat(applied),
    )
    Credit.unscoped.filter(pk=credit.pk).update(remaining=F("remaining") - value)
    Invoice.unscoped.filter(pk=invoice.pk).update(amount_credited=F("amount_credited") + value)
    return application
