"""The printable invoice and statement: HTML for the screen and the printer, and the same page
as a PDF (WeasyPrint, laid out with Debian's Pango; no network: the page names no outside
resource). Both share one look (templates/billing/print_base.html): the company's name,
address and terms above the customer's billing address."""

import logging
from typing import Any

from django.template.loader import render_to_string

from billing.models import Invoice, InvoiceLine
from billing.selectors import Statement
from core.context import Ctx
from customers.models import Property
from customers.selectors import customer_billing_property
from ektor.text import day, money
from tenancy.scoping import company_of

logger = logging.getLogger(__name__)


def _letterhead(ctx: Ctx) -> dict[str, Any]:
    """The company at the top of every printed page, and its payment terms."""
    company = company_of(ctx)
    return {"company": company, "terms": f"Net {company.payment_terms_days} days"}


def _address(prop: Property | None) -> list[str]:
    if prop is None:
        return []
    city = " ".join(filter(None, [prop.city, prop.state, prop.postal_code]))
    return [line for line in (prop.address1, prop.address2, city) if line]


def _line(line: InvoiceLine) -> dict[str, Any]:
    return {
        "description": line.description,
        "quantity": f"{line.quantity.normalize():f}",
        "unit_price": money(line.unit_price),
        "tax": money(line.tax),
        "taxed": bool(line.tax),
        "amount": money(line.amount),
    }


def invoice_context(ctx: Ctx, invoice: Invoice) -> dict[str, Any]:
    """What the printed invoice shows. `invoice` comes from selectors.invoice_get (its
    amounts computed, its lines read)."""
    return {
        **_letterhead(ctx),
        "document": "Invoice",
        "invoice": invoice,
        "title": str(invoice),
        "heading": str(invoice),
        "customer_name": invoice.customer.full_name,
        "billing_address": _address(invoice.property),
        "issued": day(invoice.issued_date),
        "due": day(invoice.due_date) if invoice.due_date else "On receipt",
        "period": f"{day(invoice.period_start)} to {day(invoice.period_end)}",
        "lines": [_line(line) for line in invoice.line_list],
        "subtotal": money(invoice.subtotal),
        "tax": money(invoice.tax),
        "total": money(invoice.total),
        "paid": money(invoice.amount_paid),
        # Shown only when the customer's credit was applied to it.
        "credited": money(invoice.amount_credited) if invoice.amount_credited else None,
        "balance": money(invoice.balance_due),
    }


def invoice_html(ctx: Ctx, invoice: Invoice) -> str:
    return render_to_string("billing/invoice.html", invoice_context(ctx, invoice))


def pdf_of(html: str) -> bytes:
    from weasyprint import HTML  # loads Pango: only when a PDF is made

    pdf: bytes = HTML(string=html).write_pdf()
    return pdf


def invoice_pdf(ctx: Ctx, invoice: Invoice) -> bytes:
    return pdf_of(invoice_html(ctx, invoice))


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


def statement_context(ctx: Ctx, statement: Statement) -> dict[str, Any]:
    """What the printed statement shows: the selector's statement (selectors.customer_statement),
    addressed to the customer's billing property."""
    customer = statement.customer
    period = f"{day(statement.from_date)} to {day(statement.to_date)}"
    return {
        **_letterhead(ctx),
        "document": "Statement",
        "title": f"Statement of {customer.full_name}, {period}",
        "heading": period,
        "customer": customer,
        "customer_name": customer.full_name,
        "billing_address": _address(customer_billing_property(ctx, customer_id=customer.pk)),
        "period": period,
        "to_date": day(statement.to_date),
        "items": [
            {
                "number": item.number or "(draft)",
                "issued": day(item.issued_date),
                "due": day(item.due_date) if item.due_date else "",
                "status": item.get_status_display(),
                "void": item.status == "void",
                "total": money(item.total),
                "paid": money(item.amount_paid),  # type: ignore[attr-defined]
                "credited": money(item.amount_credited),
                "balance": money(item.balance_due),  # type: ignore[attr-defined]
                "lines": [_line(line) for line in item.line_list],  # type: ignore[attr-defined]
            }
            for item in statement.items
        ],
        "payments": [
            {
                "date": day(payment.paid_date),
                "number": payment.number,  # type: ignore[attr-defined]
                "method": payment.get_method_display(),
                "reference": payment.reference or "",
                "amount": money(payment.amount),
            }
            for payment in statement.payments
        ],
        "credits": [
            {
                "date": day(credit.credit_date),
                "source": credit.get_source_display(),
                "reason": credit.reason,
                "number": credit.number or "",  # type: ignore[attr-defined]
                "amount": money(credit.amount),
            }
            for credit in statement.credits
        ],
        "applications": [
            {
                "date": day(application.applied_date),
                "credit": f"Credit #{application.credit_id}",
                "number": application.number,  # type: ignore[attr-defined]
                "amount": money(application.amount),
            }
            for application in statement.credit_applications
        ],
        "total": money(statement.total),
        "paid_total": money(statement.paid_total),
        "credited_total": money(statement.credited_total),
        "balance_due": money(statement.balance_due),
        "opening": money(statement.opening_balance),
        "invoiced": money(statement.invoiced_total),
        "payments_total": money(statement.payments_total),
        "credits_total": money(statement.credits_total),
        "closing": money(statement.closing_balance),
        "unapplied": money(statement.unapplied_credit) if statement.unapplied_credit else None,
    }


def statement_html(ctx: Ctx, statement: Statement) -> str:
    return render_to_string("billing/statement.html", statement_context(ctx, statement))


def statement_pdf(ctx: Ctx, statement: Statement) -> bytes:
    return pdf_of(statement_html(ctx, statement))


def statement_filename(statement: Statement) -> str:
    return f"statement-{statement.customer.pk}-{statement.from_date}-{statement.to_date}.pdf"
