"""The printable invoice as HTML and as a PDF (WeasyPrint), read back as text."""

import datetime
import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from billing import printing, selectors, services
from customers.tests.factories import PropertyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice(ctx):
    company = ctx.company
    company.name = "Aguaclara Pools"
    company.address = "12 Calle Sol, San Juan PR"
    company.payment_terms_days = 15
    company.save()
    prop = PropertyFactory(address1="7 Ocean Drive", city="Dorado", state="PR", postal_code="00646")
    created = services.invoice_create(
        ctx,
        customer_id=prop.customer_id,
        property_id=prop.pk,
        period_start=datetime.date(2026, 11, 1),
        period_end=datetime.date(2026, 11, 30),
        issued_date=datetime.date(2026, 12, 1),
        due_date=datetime.date(2026, 12, 16),
        lines=[
            {"kind": "plan", "description": "Weekly service of Main pool, November 2026",
             "unit_price": Decimal("160.00")},
            {"kind": "chemical", "description": "Liquid chlorine", "quantity": Decimal("2.5"),
             "unit_price": Decimal("4.99"), "tax_rate": Decimal("11.50")},
        ],
    )  # fmt: skip
    services.payment_record(ctx, invoice_id=created.pk, amount=Decimal("50.00"))
    return selectors.invoice_get(ctx, invoice_id=created.pk)


def test_the_pdf_shows_the_company_the_customer_the_lines_and_the_balance(ctx, invoice):
    pdf = printing.invoice_pdf(ctx, invoice)
    assert pdf.startswith(b"%PDF")
    text = " ".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    for expected in (
        "Aguaclara Pools",
        "12 Calle Sol, San Juan PR",
        "INV-2026-000001",
        invoice.customer.full_name,
        "7 Ocean Drive",
        "Dorado PR 00646",
        "Net 15 days",
        "Weekly service of Main pool, November 2026",
        "Liquid chlorine",
        "2.5",
        "$12.48",
        "$1.44",
        "$173.92",
        "$50.00",
        "$123.92",
    ):
        assert expected in text, expected


def test_the_html_is_the_same_page(ctx, invoice):
    html = printing.invoice_html(ctx, invoice)
    assert "<h2>Invoice</h2>" in html and "Balance due" in html and "$123.92" in html


def test_the_invoice_page_serves_its_pdf_to_the_companys_users_only(ctx, invoice, admin_web):
    page = admin_web.get(f"/admin/billing/invoice/{invoice.pk}/change/").content.decode()
    assert f'href="/admin/billing/invoice/{invoice.pk}/pdf/"' in page
    response = admin_web.get(f"/admin/billing/invoice/{invoice.pk}/pdf/")
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert admin_web.get("/admin/billing/invoice/999999/pdf/").status_code == 404


def test_the_email_attaches_the_pdf_and_goes_without_it_where_pango_is_missing(
    ctx, invoice, monkeypatch, caplog
):
    [(name, content, kind)] = printing.invoice_attachments(ctx, invoice)
    assert (name, kind) == (f"{invoice.number}.pdf", "application/pdf")
    assert content.startswith(b"%PDF")

    def no_pango(ctx, invoice):
        # What WeasyPrint raises when the system's Pango cannot be loaded.
        raise OSError("cannot load library 'libpangoft2-1.0-0'")

    monkeypatch.setattr(printing, "invoice_pdf", no_pango)
    assert printing.invoice_attachments(ctx, invoice) == []
    assert "emailed without its PDF: Pango is not installed" in caplog.text
