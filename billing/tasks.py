"""Billing's background tasks: the customer's emails (ektor/email.py), run by the worker."""

from typing import Any

from billing.models import BillingRun
from billing.printing import invoice_attachments
from billing.selectors import invoice_get
from core.context import Ctx
from ektor.email import send_templated
from ektor.tasks import background_task
from ektor.text import day, money
from tenancy.models import Company
from tenancy.selectors import company_get, memberships_of_user


@background_task()
def send_invoice_email(company_id: int, invoice_id: int) -> dict[str, Any]:
    """The invoice's email to its customer (text and HTML): number, dates, total, balance,
    sent as the invoice's company (ektor.email.sender), with the printable invoice as a PDF.

    The figures are read when the task runs, so a payment recorded in between shows."""
    ctx = Ctx.system(company_get(Ctx.system(), company_id=company_id))
    invoice = invoice_get(ctx, invoice_id=invoice_id)
    customer = invoice.customer
    if not customer.email:  # removed since the invoice was sent
        return {"invoice": invoice.number, "sent_to": None}
    send_templated(
        ctx,
        template="invoice_sent",
        to=[customer.email],
        context={
            "invoice": invoice,
            "customer_name": customer.full_name,
            "property_label": invoice.property.label,
            "issued": day(invoice.issued_date),
            "period_start": day(invoice.period_start),
            "period_end": day(invoice.period_end),
            "due": day(invoice.due_date) if invoice.due_date else "on receipt",
            "total": money(invoice.total),
            "paid": money(invoice.amount_paid),
            "balance": money(invoice.balance_due),
        },
        attachments=invoice_attachments(ctx, invoice),
    )
    return {"invoice": invoice.number, "sent_to": customer.email}


@background_task()
def run_billing(company_id: int, run_id: int) -> dict[str, Any]:
    """A billing run queued from the admin (services.billing_run_queue): its row shows how far
    it is and, once done, what it billed and skipped."""
    from billing import services  # services queue this task: imported when it runs

    company = company_get(Ctx.system(), company_id=company_id)
    run = BillingRun.objects.of(Ctx.system(company)).select_related("started_by").get(pk=run_id)
    ctx = _starter_ctx(run, company)
    result = services.billing_run(ctx, period=run.period, run_id=run.pk)
    return {"run": run_id, "invoices_created": result.invoices_created}


def _starter_ctx(run: BillingRun, company: Company) -> Ctx:
    """The run acts as whoever started it, in their role today, so the trail names them on
    every invoice it makes; as the system when nobody did or they left the company since."""
    system = Ctx.system(company)
    user = run.started_by
    membership = (
        None
        if user is None
        else memberships_of_user(system, user=user).filter(company=company).first()
    )
    if user is None or membership is None or not user.is_active:
        return system
    return Ctx.for_user(user, company, role=membership.role, request_id=f"billing-run-{run.pk}")
