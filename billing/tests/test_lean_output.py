"""The lean list and statement output renders the same bytes as the output serializers."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from billing import selectors, services
from billing.api import serializers as s
from billing.models import Payment
from billing.tests.conftest import make_invoice
from billing.tests.factories import InvoiceFactory
from customers.tests.factories import PropertyFactory
from ektor.api.renderers import JSONRenderer

pytestmark = pytest.mark.django_db

render = JSONRenderer().render


@pytest.fixture
def invoices(ctx):
    prop = PropertyFactory()
    paid = make_invoice(prop=prop, total="133.80", notes="Monthly")
    services.payment_record(ctx, invoice_id=paid.pk, amount=Decimal("133.80"))
    partial = make_invoice(prop=prop, total="0.30", issued="2026-02-11")
    for _ in range(3):  # 0.1 three times: exact to the cent on SQLite too
        services.payment_record(ctx, invoice_id=partial.pk, amount=Decimal("0.10"))
    services.invoice_void(ctx, invoice=make_invoice(prop=prop, issued="2026-03-11"), reason="Typo")
    InvoiceFactory(property=prop, due_date=None, notes="")  # a draft: no number, no due date
    make_invoice(prop=prop, total="0.00", issued="2026-04-11")  # paid as soon as sent
    make_invoice(prop=prop, total="20.00", issued="2026-04-12")  # sent, nothing paid
    return prop


def test_invoice_rows_match_invoiceout(ctx, invoices):
    queryset = selectors.invoice_queryset(ctx)
    lean = s.invoice_rows_out(queryset.values(*s.INVOICE_OUT_COLUMNS))
    assert render(lean) == render(s.InvoiceOut(queryset, many=True).data)
    assert {row["status"] for row in lean} == {"paid", "sent", "void", "draft"}
    assert lean[-1]["balance_due"] == "0.00"


@pytest.mark.parametrize("zone", ["UTC", "America/Puerto_Rico"])
def test_datetimes_render_in_the_current_time_zone_like_drf(ctx, invoices, zone):
    queryset = selectors.invoice_queryset(ctx)
    with timezone.override(zone):
        lean = s.invoice_rows_out(queryset.values(*s.INVOICE_OUT_COLUMNS))
        assert render(lean) == render(s.InvoiceOut(queryset, many=True).data)


def test_statement_out_matches_statementout(ctx, invoices):
    statement = selectors.customer_statement(
        ctx,
        customer_id=invoices.customer_id,
        from_date=datetime.date(2026, 1, 1),
        to_date=datetime.date(2026, 12, 31),
    )
    assert render(s.statement_out(statement)) == render(s.StatementOut(statement).data)
    # The void invoice (100.00) is listed but not totalled: 133.80 + 0.30 + the draft's 100.00
    # + 20.00.
    assert len(statement.items) == 6
    assert s.statement_out(statement)["total"] == "254.10"


def test_payment_out_matches_paymentout(ctx, invoices):
    for payment in Payment.objects.all():
        assert render(s.payment_out(payment)) == render(s.PaymentOut(payment).data)
    invoice = make_invoice(total="10.00", issued="2026-05-11")
    fresh = services.payment_record(
        ctx, invoice_id=invoice.pk, amount=Decimal("2.50"), reference="CHK-1", notes="First part"
    )
    assert render(s.payment_out(fresh)) == render(s.PaymentOut(fresh).data)
