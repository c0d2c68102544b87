"""Credits in the admin: made through credit_create, applied through credit_apply (the Apply
page), shown on the invoice's page and the customer's."""

from decimal import Decimal

import pytest

from audit.models import AuditEvent
from billing import credits, services
from billing.models import Credit, CreditSource, InvoiceStatus
from billing.tests.conftest import make_invoice

pytestmark = pytest.mark.django_db
CREDITS = "/admin/billing/credit/"


def test_an_admin_adds_a_credit_note_through_the_service(admin_web, ctx):
    invoice = make_invoice(total="40.00")
    response = admin_web.post(
        f"{CREDITS}add/",
        {
            "customer": invoice.customer_id,
            "amount": "50.00",
            "reason": "Billed twice",
            "invoice": invoice.pk,
        },
    )
    assert response.status_code == 302, response.content
    credit = Credit.objects.of(ctx).get()
    assert (credit.source, credit.remaining) == (CreditSource.CREDIT_NOTE, Decimal("10.00"))
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert AuditEvent.objects.filter(object_type="credit", action="create").exists()


def test_a_refused_credit_note_is_a_message(admin_web, ctx):
    draft = make_invoice(status="draft")
    response = admin_web.post(
        f"{CREDITS}add/",
        {"customer": draft.customer_id, "amount": "5.00", "reason": "x", "invoice": draft.pk},
        follow=True,
    )
    assert "a credit note is made against a sent or paid invoice" in response.content.decode()
    assert not Credit.objects.of(ctx).exists()


def test_the_apply_page(admin_web, ctx):
    invoice = make_invoice(total="30.00")
    credit = credits.credit_create(
        ctx, customer_id=invoice.customer_id, amount=Decimal("50.00"), reason="Goodwill"
    )
    page = admin_web.get(f"{CREDITS}{credit.pk}/apply/")
    assert page.status_code == 200 and str(invoice) in page.content.decode()
    too_much = admin_web.post(
        f"{CREDITS}{credit.pk}/apply/", {"invoice": invoice.pk, "amount": "30.01"}
    )
    assert "exceeds the balance due of 30.00" in too_much.content.decode()
    done = admin_web.post(
        f"{CREDITS}{credit.pk}/apply/", {"invoice": invoice.pk, "amount": "30.00"}, follow=True
    )
    assert f"Applied $30.00 of {credit} to {invoice}." in done.content.decode()
    credit.refresh_from_db()
    assert credit.remaining == Decimal("20.00")
    shown = admin_web.get(f"/admin/billing/invoice/{invoice.pk}/change/").content.decode()
    assert "amount credited" in shown.lower() and "credits applied" in shown.lower()
    assert "$30.00" in shown


def test_staff_read_credits_but_cannot_apply(staff_web, ctx):
    invoice = make_invoice()
    credit = credits.credit_create(
        ctx, customer_id=invoice.customer_id, amount=Decimal("5.00"), reason="Goodwill"
    )
    assert staff_web.get(f"{CREDITS}{credit.pk}/change/").status_code == 200
    assert staff_web.get(f"{CREDITS}{credit.pk}/apply/").status_code == 403


def test_the_open_filter(admin_web, ctx):
    invoice = make_invoice(total="5.00")
    used = credits.credit_create(
        ctx, customer_id=invoice.customer_id, amount=Decimal("5.00"), reason="x"
    )
    credits.credit_apply(ctx, credit_id=used.pk, invoice_id=invoice.pk, amount=Decimal("5.00"))
    left = credits.credit_create(
        ctx, customer_id=invoice.customer_id, amount=Decimal("7.00"), reason="y"
    )
    listed = admin_web.get(CREDITS, {"open": "yes"}).context["cl"].result_list
    assert [credit.pk for credit in listed] == [left.pk]
    listed = admin_web.get(CREDITS, {"open": "no"}).context["cl"].result_list
    assert [credit.pk for credit in listed] == [used.pk]


def test_the_customer_page_shows_the_balance(admin_web, ctx):
    invoice = make_invoice(total="100.00")
    services.payment_record(
        ctx, invoice_id=invoice.pk, amount=Decimal("130.00"), overpayment="credit"
    )
    make_invoice(prop=invoice.property, total="45.50")
    page = admin_web.get(f"/admin/customers/customer/{invoice.customer_id}/change/")
    content = page.content.decode()
    assert "Open invoices: 1, $45.50 due" in content
    assert "Credits: $30.00 unapplied" in content
    assert "Net balance: $15.50" in content
    assert f"{CREDITS}?customer__id__exact={invoice.customer_id}" in content
    credits_page = admin_web.get(CREDITS, {"customer__id__exact": invoice.customer_id})
    assert credits_page.context["cl"].result_count == 1
