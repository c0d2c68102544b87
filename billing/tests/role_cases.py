"""Every billing API operation for the role matrix (tests/test_role_matrix.py)."""

import datetime
from decimal import Decimal

from billing import credits
from billing.models import BillingRun, Invoice
from billing.tests.conftest import make_invoice
from billing.tests.factories import InvoiceFactory, PaymentFactory
from core.context import Ctx
from customers.tests.factories import PropertyFactory
from ektor.testing import RoleCase
from tenancy.tests.factories import default_company


def _run_path() -> str:
    run = BillingRun.objects.create(
        company=default_company(),
        period=datetime.date(2026, 11, 1),
        issued_date=datetime.date(2026, 12, 1),
    )
    return f"/api/v1/billing-runs/{run.pk}"


def _new_invoice_payload():
    prop = PropertyFactory()
    return {
        "customer_id": prop.customer_id,
        "property_id": prop.pk,
        "period_start": "2026-01-05",
        "period_end": "2026-01-11",
        "issued_date": "2026-01-11",
        "subtotal": "100.00",
        "tax": "0.00",
        "total": "100.00",
    }


def _credit_path(suffix: str = "") -> str:
    """A credit of the customer of the newest invoice (_apply_payload's, when it made one)."""
    ctx = Ctx.system(default_company())
    invoice = Invoice.objects.of(ctx).order_by("-id").first() or InvoiceFactory()
    credit = credits.credit_create(
        ctx, customer_id=invoice.customer_id, amount=Decimal("10.00"), reason="Goodwill"
    )
    return f"/api/v1/credits/{credit.pk}{suffix}"


def _apply_payload() -> dict:
    """10.00 onto a sent invoice (the matrix builds the payload first, then the path)."""
    return {"invoice_id": make_invoice().pk, "amount": "10.00"}


def _draft_path(suffix: str = "") -> str:
    return f"/api/v1/invoices/{InvoiceFactory().pk}{suffix}"


CASES = [
    RoleCase(
        "GET",
        "api/v1/invoices",
        lambda: "/api/v1/invoices",
        staff_allowed=True,
        technician="denied",
    ),
    RoleCase(
        "POST",
        "api/v1/invoices",
        lambda: "/api/v1/invoices",
        _new_invoice_payload,
        admin_status=201,
    ),
    RoleCase("GET", "api/v1/invoices/<pk>", _draft_path, staff_allowed=True, technician="denied"),
    RoleCase("PATCH", "api/v1/invoices/<pk>", _draft_path, lambda: {"notes": "Gate code 1234"}),
    RoleCase("POST", "api/v1/invoices/<pk>/send", lambda: _draft_path("/send")),
    RoleCase(
        "POST",
        "api/v1/invoices/<pk>/void",
        lambda: _draft_path("/void"),
        lambda: {"reason": "Billed twice"},
    ),
    RoleCase(
        "GET",
        "api/v1/payments",
        lambda: "/api/v1/payments",
        staff_allowed=True,
        technician="denied",
    ),
    RoleCase(
        "POST",
        "api/v1/payments",
        lambda: "/api/v1/payments",
        lambda: {"invoice_id": InvoiceFactory().pk, "amount": "10.00"},
        admin_status=201,
    ),
    RoleCase(
        "GET",
        "api/v1/payments/<pk>",
        lambda: f"/api/v1/payments/{PaymentFactory().pk}",
        staff_allowed=True,
        technician="denied",
    ),
    RoleCase(
        "POST",
        "api/v1/payments/<pk>/reverse",
        lambda: f"/api/v1/payments/{PaymentFactory().pk}/reverse",
        lambda: {"reason": "Recorded twice"},
    ),
    RoleCase(
        "GET",
        "api/v1/reports/customers/<customer_id>/statement",
        lambda: (
            f"/api/v1/reports/customers/{InvoiceFactory().customer_id}/statement"
            "?from=2026-01-01&to=2026-01-31"
        ),
        staff_allowed=True,
        technician="denied",
    ),
    RoleCase(
        "GET",
        "api/v1/reports/aging",
        lambda: "/api/v1/reports/aging?as_of=2026-01-31",
        staff_allowed=True,
        technician="denied",
    ),
    RoleCase(
        "GET",
        "api/v1/billing-runs",
        lambda: "/api/v1/billing-runs",
        staff_allowed=True,
        technician="denied",
    ),
    RoleCase(
        "POST",
        "api/v1/billing-runs",
        lambda: "/api/v1/billing-runs",
        lambda: {"period": "2026-11"},
        admin_status=201,
    ),
    RoleCase("GET", "api/v1/billing-runs/<pk>", _run_path, staff_allowed=True, technician="denied"),
    RoleCase(
        "GET", "api/v1/credits", lambda: "/api/v1/credits", staff_allowed=True, technician="denied"
    ),
    RoleCase(
        "POST",
        "api/v1/credits",
        lambda: "/api/v1/credits",
        lambda: {
            "customer_id": InvoiceFactory().customer_id,
            "amount": "25.00",
            "reason": "Goodwill",
        },
        admin_status=201,
    ),
    RoleCase("GET", "api/v1/credits/<pk>", _credit_path, staff_allowed=True, technician="denied"),
    RoleCase("POST", "api/v1/credits/<pk>/apply", lambda: _credit_path("/apply"), _apply_payload),
    RoleCase(
        "GET",
        "api/v1/customers/<customer_id>/balance",
        lambda: f"/api/v1/customers/{InvoiceFactory().customer_id}/balance",
        staff_allowed=True,
        technician="denied",
    ),
]
