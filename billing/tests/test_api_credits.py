"""/credits, /credits/{id}/apply, /customers/{id}/balance, payments with overpayment=credit and
billing runs with auto_apply_credits, through the API and `manage.py bill`."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from billing import credits, selectors
from billing.models import Credit, CreditApplication, Invoice, InvoiceStatus
from billing.tests.conftest import make_invoice
from customers.tests.factories import CustomerFactory
from operations.tests.factories import ServicePlanFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/credits"
CREDIT_KEYS = {
    "credit_id",
    "customer_id",
    "source",
    "amount",
    "remaining",
    "reason",
    "invoice_id",
    "payment_id",
    "credit_date",
    "voided_at",
    "void_reason",
    "created_at",
}


def reason_of(response, status: int) -> str:
    assert response.status_code == status, response.content
    return response.json()["details"]["reason"]


def test_create_list_get_and_apply(admin_client_api, ctx):
    invoice = make_invoice(total="80.00")
    response = admin_client_api.post(
        URL,
        {"customer_id": invoice.customer_id, "amount": "50.00", "reason": "Goodwill"},
        format="json",
    )
    assert response.status_code == 201, response.content
    credit = response.json()
    assert set(credit) == CREDIT_KEYS
    assert (credit["source"], credit["amount"], credit["remaining"], credit["invoice_id"]) == (
        "manual",
        "50.00",
        "50.00",
        None,
    )
    other = credits.credit_create(
        ctx, customer_id=CustomerFactory().pk, amount=Decimal("5"), reason="x"
    )
    listed = admin_client_api.get(URL, {"customer_id": invoice.customer_id})
    assert [row["credit_id"] for row in listed.json()] == [credit["credit_id"]]
    assert listed["X-Total-Count"] == "1"
    page = admin_client_api.get(URL, {"limit": 1})
    assert [row["credit_id"] for row in page.json()] == [other.pk]  # newest first
    assert page["X-Total-Count"] == "2" and "next" in page["Link"]
    path = f"{URL}/{credit['credit_id']}"
    assert admin_client_api.get(path).json() == credit
    applied = admin_client_api.post(
        f"{path}/apply", {"invoice_id": invoice.pk, "amount": "30.00"}, format="json"
    )
    assert applied.status_code == 200, applied.content
    assert applied.json()["remaining"] == "20.00"
    shown = admin_client_api.get(f"/api/v1/invoices/{invoice.pk}").json()
    assert (shown["amount_paid"], shown["amount_credited"], shown["balance_due"]) == (
        "0.00",
        "30.00",
        "50.00",
    )
    row = next(
        row
        for row in admin_client_api.get("/api/v1/invoices").json()
        if row["invoice_id"] == invoice.pk
    )
    assert (row["amount_credited"], row["balance_due"]) == ("30.00", "50.00")


def test_a_credit_note_against_an_invoice(admin_client_api):
    invoice = make_invoice(total="40.00")
    response = admin_client_api.post(
        URL,
        {
            "customer_id": invoice.customer_id,
            "amount": "45.00",
            "reason": "Billed twice",
            "invoice_id": invoice.pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["source"], body["remaining"], body["invoice_id"]) == (
        "credit_note",
        "5.00",
        invoice.pk,
    )
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID


def test_apply_refusals_name_their_reason(admin_client_api, ctx):
    invoice = make_invoice(total="20.00")
    credit = credits.credit_create(
        ctx, customer_id=invoice.customer_id, amount=Decimal("30.00"), reason="x"
    )
    path = f"{URL}/{credit.pk}/apply"

    def apply(invoice_id, amount):
        return admin_client_api.post(
            path, {"invoice_id": invoice_id, "amount": amount}, format="json"
        )

    assert reason_of(apply(invoice.pk, "20.01"), 409) == "credit_exceeds_balance"
    assert reason_of(apply(make_invoice().pk, "1.00"), 409) == "credit_customer_mismatch"
    draft = make_invoice(prop=invoice.property, status="draft")
    assert reason_of(apply(draft.pk, "1.00"), 409) == "credit_invoice_not_sent"
    big = make_invoice(prop=invoice.property, total="500.00")
    response = apply(big.pk, "30.01")
    assert reason_of(response, 409) == "credit_exceeds_remaining"
    assert (
        response.json()["message"]
        == f"Credit #{credit.pk} has 30.00 left of 30.00: 30.01 cannot be applied"
    )
    assert reason_of(apply(999_999, "1.00"), 404) == "invoice_not_found"
    assert (
        reason_of(
            admin_client_api.post(
                f"{URL}/999999/apply", {"invoice_id": big.pk, "amount": "1"}, format="json"
            ),
            404,
        )
        == "credit_not_found"
    )
    bad = apply(big.pk, "0.00")
    assert bad.status_code == 422 and bad.json()["details"]["errors"][0]["loc"] == [
        "body",
        "amount",
    ]
    assert not CreditApplication.objects.of(ctx).exists()


def test_create_refusals(admin_client_api):
    body = {"customer_id": 999_999, "amount": "5.00", "reason": "x"}
    assert reason_of(admin_client_api.post(URL, body, format="json"), 404) == "customer_not_found"
    void = make_invoice(status="void")
    body = {"customer_id": void.customer_id, "amount": "5.00", "reason": "x", "invoice_id": void.pk}
    assert (
        reason_of(admin_client_api.post(URL, body, format="json"), 409) == "credit_invoice_not_sent"
    )
    response = admin_client_api.post(
        URL, {"customer_id": void.customer_id, "amount": "5"}, format="json"
    )
    assert response.status_code == 422
    assert response.json()["details"]["errors"][0]["loc"] == ["body", "reason"]


def test_customer_balance(admin_client_api):
    invoice = make_invoice(total="100.00")
    response = admin_client_api.post(
        "/api/v1/payments",
        {"invoice_id": invoice.pk, "amount": "130.00", "overpayment": "credit"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["amount"] == "100.00"
    make_invoice(prop=invoice.property, total="45.50")
    balance = admin_client_api.get(f"/api/v1/customers/{invoice.customer_id}/balance")
    assert balance.json() == {
        "customer_id": invoice.customer_id,
        "open_invoices": 1,
        "balance_due": "45.50",
        "unapplied_credit": "30.00",
        "net_balance": "15.50",
    }
    missing = admin_client_api.get("/api/v1/customers/999999/balance")
    assert reason_of(missing, 404) == "customer_not_found"
    bad = admin_client_api.get("/api/v1/customers/abc/balance")
    assert bad.status_code == 422


def test_a_payment_over_the_balance_without_the_field_is_still_409(admin_client_api):
    invoice = make_invoice(total="10.00")
    body = {"invoice_id": invoice.pk, "amount": "12.00"}
    response = admin_client_api.post("/api/v1/payments", body, format="json")
    assert reason_of(response, 409) == "payment_exceeds_total"
    body["overpayment"] = "refund"
    assert admin_client_api.post("/api/v1/payments", body, format="json").status_code == 422


def test_reversing_an_overpayment_whose_credit_is_applied_is_409(admin_client_api, ctx):
    invoice = make_invoice(total="10.00")
    body = {"invoice_id": invoice.pk, "amount": "15.00", "overpayment": "credit"}
    payment = admin_client_api.post("/api/v1/payments", body, format="json").json()
    credit = Credit.objects.of(ctx).get(payment_id=payment["payment_id"])
    later = make_invoice(prop=invoice.property, total="10.00")
    credits.credit_apply(ctx, credit_id=credit.pk, invoice_id=later.pk, amount=Decimal("5.00"))
    response = admin_client_api.post(
        f"/api/v1/payments/{payment['payment_id']}/reverse", {"reason": "Bounced"}, format="json"
    )
    assert reason_of(response, 409) == "payment_credit_applied"


# --- billing runs ------------------------------------------------------------------------------

NOV = datetime.date(2026, 11, 1)


@pytest.fixture
def plan_with_credits(ctx):
    """A plan billing November, and its customer's two open credits (the older one smaller)."""
    plan = ServicePlanFactory(start_date=datetime.date(2026, 10, 1), rate=Decimal("150.00"))
    customer_id = plan.pool.property.customer_id
    older = credits.credit_create(
        ctx,
        customer_id=customer_id,
        amount=Decimal("100.00"),
        reason="First",
        credit_date=datetime.date(2026, 10, 2),
    )
    newer = credits.credit_create(
        ctx,
        customer_id=customer_id,
        amount=Decimal("500.00"),
        reason="Second",
        credit_date=datetime.date(2026, 10, 20),
    )
    return older, newer


def test_a_run_applies_open_credits_oldest_first(admin_client_api, plan_with_credits, ctx):
    older, newer = plan_with_credits
    body = {"period": "2026-11", "send": True, "auto_apply_credits": True}
    response = admin_client_api.post("/api/v1/billing-runs", body, format="json")
    assert response.status_code == 201, response.content
    invoice = Invoice.objects.of(ctx).get(pk=response.json()["invoice_ids"][0])
    older.refresh_from_db()
    newer.refresh_from_db()
    assert older.remaining == Decimal("0.00")
    assert newer.remaining == Decimal("500.00") - (invoice.total - Decimal("100.00"))
    assert (invoice.amount_credited, invoice.status) == (invoice.total, InvoiceStatus.PAID)
    assert selectors.receivables_drift(ctx) == {}
    run = admin_client_api.get(f"/api/v1/billing-runs/{response.json()['run_id']}").json()
    assert run["auto_apply_credits"] is True


def test_auto_apply_credits_needs_send(admin_client_api, plan_with_credits):
    body = {"period": "2026-11", "auto_apply_credits": True}
    response = admin_client_api.post("/api/v1/billing-runs", body, format="json")
    assert response.status_code == 422
    (error,) = response.json()["details"]["errors"]
    assert error["loc"] == ["body", "auto_apply_credits"]
    assert "Credits apply to sent invoices" in error["msg"]


def test_the_bill_command_applies_credits(plan_with_credits, ctx):
    older, _ = plan_with_credits
    with pytest.raises(CommandError, match="a run applies them only with send"):
        call_command("bill", period="2026-11", auto_apply_credits=True, stdout=io.StringIO())
    call_command("bill", period="2026-11", send=True, auto_apply_credits=True, stdout=io.StringIO())
    older.refresh_from_db()
    assert older.remaining == Decimal("0.00")
