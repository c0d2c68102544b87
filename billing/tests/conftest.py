import datetime
from decimal import Decimal

import pytest

from billing import services
from core.context import Ctx
from customers.tests.factories import PropertyFactory


def make_invoice(*, prop=None, total="100.00", status="sent", issued="2026-01-11", **extra):
    prop = prop or PropertyFactory()
    issued_date = datetime.date.fromisoformat(issued)
    return services.invoice_create(
        Ctx.system(prop.company),
        customer_id=prop.customer_id,
        property_id=prop.pk,
        period_start=issued_date - datetime.timedelta(days=6),
        period_end=issued_date,
        issued_date=issued_date,
        due_date=extra.pop("due_date", issued_date + datetime.timedelta(days=7)),
        subtotal=Decimal(total),
        tax=Decimal("0.00"),
        total=Decimal(total),
        status=status,
        **extra,
    )


@pytest.fixture
def invoice(db):
    """A sent invoice of 100.00."""
    return make_invoice()
