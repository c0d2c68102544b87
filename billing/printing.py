"""The printable invoice: HTML for the screen and the printer, and the same page as a PDF
(WeasyPrint, laid out with Debian's Pango; no network: the page names no outside resource)."""

import logging
from typing import Any

from django.template.loader import render_to_string

from billing.models import Invoice
from core.context import Ctx
from ektor.text import day, money
from tenancy.scoping import company_of

logger = logging.getLogger(__name__)


def invoice_context(ctx: Ctx, invoice: Invoice) -> dict[str, Any]:
    """What the printed invoice shows. `invoice` comes from selectors.invoice_get (its
    amounts computed, its lines read)."""
    company = company_of(ctx)
    prop = invoice.property
    return {
        "company": company,
        "terms": f"Net {company.payment_terms_days} days",
        "invoice": invoice,
        "title": str(invoice),
        "customer_name": invoice.customer.full_name,
        "billing_address": [
            line
            for line in (
                prop.address1,
                prop.address2,
                " ".join(filter(None, [prop.city, prop.state, prop.postal_code])),
            )
            if line
        ],
        "issued": day(invoice.issued_date),
        "due": day(invoice.due_date) if invoice.due_date else "On receipt",
        "period": f"{day(invoice.period_start)} to {day(invoice.period_end)}",
        "lines": [
            {
                "description": line.description,
                "quantity": f"{line.quantity.normalize():f}",
                "unit_price": money(line.unit_price),
                "tax": money(line.tax),
                "amount": money(line.amount),
            }
            for line in invoice.line_list
        ],
        "subtotal": money(invoice.subtotal),
        "tax": money(invoice.tax),
        "total": money(invoice.total),
        "paid": money(invoice.amount_paid),
        "balance": money(invoice.balance_due),
    }


def invoice_html(ctx: Ctx, invoice: Invoice) -> str:
    return render_to_string("billing/invoice.html", invoice_context(ctx, invoice))


def invoice_pdf(ctx: Ctx, invoice: Invoice) -> bytes:
    from weasyprint import HTML  # loads Pango: only when a PDF is made

    pdf: bytes = HTML(string=invoice_html(ctx, invoice)).write_pdf()
    return pdf


def invoice_attachments(ctx: Ctx, invoice: Invoice) -> list[tuple[str, bytes, str]]:
    """The printable invoice as an email's PDF attachment; none where WeasyPrint cannot load
    the system's Pango (a first try without root, which scripts/setup.sh warns about): the
    email still goes, and the log says why it has no PDF."""
    try:
        pdf = invoice_pdf(ctx, invoice)
    except OSError:
        logger.warning("invoice %s emailed without its PDF: Pango is not installed", invoice.number)
        return []
    return [(f"{invoice.number}.pdf", pdf, "application/pdf")]
