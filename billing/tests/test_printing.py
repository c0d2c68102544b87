"""The printable invoice as HTML and as a PDF (WeasyPrint), read back as text."""

import datetime
import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from billing import credits, printing, selectors, services
from billing.tests.factories import CreditFactory, credit_apply_raw
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
    assert "Credited" not in html  # no credit applied


def test_an_applied_credit_shows_on_the_printed_invoice(ctx, invoice):
    credit = credits.credit_create(
        ctx, customer_id=invoice.customer_id, amount=Decimal("23.92"), reason="Goodwill"
    )
    credits.credit_apply(ctx, credit_id=credit.pk, invoice_id=invoice.pk, amount=Decimal("23.92"))
    invoice = selectors.invoice_get(ctx, invoice_id=invoice.pk)
    text = " ".join(
        PdfReader(io.BytesIO(printing.invoice_pdf(ctx, invoice))).pages[0].extract_text().split()
    )
    assert "Credited $23.92" in text and "Balance due $100.00" in text


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


def pdf_text(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF")
    pages = PdfReader(io.BytesIO(pdf)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


@pytest.fixture
def statement(ctx, invoice):
    """December 2026 for the invoice's customer: the invoice (its lines, 50.00 paid), a 20.00
    credit note against it applied at once, and a 5.00 manual credit not applied yet."""
    note = CreditFactory(
        customer=invoice.customer,
        source="credit_note",
        invoice=invoice,
        amount=Decimal("20.00"),
        reason="Missed visit",
        credit_date=datetime.date(2026, 12, 5),
    )
    credit_apply_raw(note, invoice, "20.00", "2026-12-05")
    CreditFactory(
        customer=invoice.customer,
        amount=Decimal("5.00"),
        reason="Goodwill",
        credit_date=datetime.date(2026, 12, 9),
    )
    return selectors.customer_statement(
        ctx,
        customer_id=invoice.customer_id,
        from_date=datetime.date(2026, 12, 1),
        to_date=datetime.date(2026, 12, 31),
    )


def test_the_statement_pdf_shows_the_company_the_customer_the_entries_and_the_balance(
    ctx, statement
):
    text = pdf_text(printing.statement_pdf(ctx, statement))
    for expected in (
        "Aguaclara Pools",
        "12 Calle Sol, San Juan PR",
        "Net 15 days",
        "STATEMENT",
        "Dec 1, 2026 to Dec 31, 2026",
        statement.customer_name,
        "7 Ocean Drive",
        "Dorado PR 00646",
        # The invoice, with its lines under it: 173.92 - 50.00 paid - 20.00 credited.
        "INV-2026-000001",
        "Weekly service of Main pool, November 2026",
        "Liquid chlorine",
        "2.5 \u00d7 $4.99",
        "tax $1.44",
        "$173.92 $50.00 $20.00 $103.92",
        # The entries: the payment, both credits and the application.
        "CREDITS GRANTED IN THE PERIOD",
        "Credit note Missed visit INV-2026-000001 $20.00",
        "Manual Goodwill $5.00",
        "CREDITS APPLIED IN THE PERIOD",
        f"Credit #{statement.credit_applications[0].credit_id} INV-2026-000001 $20.00",
        # The account: 173.92 - 50.00 - 25.00, of which 5.00 of credit is not applied yet.
        "Balance brought forward $0.00",
        "Invoiced in the period + $173.92",
        "Credits granted in the period \u2212 $25.00",
        "Balance due on Dec 31, 2026 $98.92",
        "of which credit not applied yet $5.00",
    ):
        assert expected in text, expected


def test_the_statement_pdf_from_the_api_and_the_admin(ctx, statement, staff_client_api, admin_web):
    customer_id = statement.customer.pk
    api = f"/api/v1/reports/customers/{customer_id}/statement?from=2026-12-01&to=2026-12-31"
    response = staff_client_api.get(f"{api}&format=pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'inline; filename="statement-{customer_id}-2026-12-01-2026-12-31.pdf"'
    )
    assert "Balance due on Dec 31, 2026 $98.92" in pdf_text(response.content)
    # JSON stays the default, and errors are JSON whatever the format.
    assert staff_client_api.get(f"{api}&format=json").json()["closing_balance"] == "98.92"
    bad = staff_client_api.get(f"{api}&format=xml")
    assert bad.status_code == 422 and bad.json()["details"]["errors"][0]["loc"] == [
        "query",
        "format",
    ]
    missing = staff_client_api.get(
        "/api/v1/reports/customers/999999/statement?from=2026-12-01&to=2026-12-31&format=pdf"
    )
    assert missing.status_code == 404
    assert missing.json()["details"]["reason"] == "customer_not_found"

    admin = f"/admin/billing/invoice/statement/{customer_id}/pdf/?from=2026-12-01&to=2026-12-31"
    response = admin_web.get(admin)
    assert response["Content-Type"] == "application/pdf"
    assert "Missed visit" in pdf_text(response.content)
    assert admin_web.get(admin.replace("from=2026-12-01", "from=2027-01-01")).status_code == 400
    assert admin_web.get(f"/admin/billing/invoice/statement/{customer_id}/pdf/").status_code == 400
    assert admin_web.get(admin.replace(f"/{customer_id}/", "/999999/")).status_code == 404
