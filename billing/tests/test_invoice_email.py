"""The invoice email: sending an invoice (API, admin or service) queues it on commit; the
worker renders it (text and HTML) and delivers it through a real SMTP server."""

import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from billing import services
from billing.tests.conftest import make_invoice
from core.context import Ctx
from customers.tests.factories import CustomerFactory, PropertyFactory
from ektor.testing import run_tasks
from tenancy.tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(settings, company):
    """The company sends as itself: its name and reply-to address win over the
    installation's settings, whose address stays the envelope's."""
    settings.EMAIL_FROM_NAME = "Ektor installation"
    settings.DEFAULT_FROM_EMAIL = "office@bluelagoon.example"
    settings.EMAIL_REPLY_TO = "installation@example.com"
    company.name, company.email = "Blue Lagoon Pools", "billing@bluelagoon.example"
    company.save(update_fields=["name", "email"])
    return company


def a_draft(email: str | None = "ana@example.com"):
    customer = CustomerFactory(first_name="Ana", last_name="O'Neil", email=email)
    prop = PropertyFactory(customer=customer, label="Casa <Playa>")
    return make_invoice(
        prop=prop, status="draft", total="1234.50", issued="2026-03-02", notes="Gate code 4411"
    )


def queued() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path="billing.tasks.send_invoice_email"))


def test_the_customer_gets_the_invoice_by_email_through_smtp(
    office, smtp_server, admin_client_api, django_capture_on_commit_callbacks
):
    draft = a_draft()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_api.post(f"/api/v1/invoices/{draft.pk}/send")
    assert response.status_code == 200
    number = response.json()["number"]
    # A payment recorded before the worker runs shows in the balance.
    services.payment_record(
        Ctx.system(draft.company), invoice_id=draft.pk, amount=Decimal("234.50")
    )
    run_tasks()

    (message,) = smtp_server.wait_for(1)
    assert message["Subject"] == f"Invoice {number} from Blue Lagoon Pools"
    assert message["From"] == "Blue Lagoon Pools <office@bluelagoon.example>"
    assert message["Reply-To"] == "billing@bluelagoon.example"
    assert message["To"] == "ana@example.com"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for line in (
        "Dear Ana O'Neil,",
        f"Here is your invoice {number} for Casa <Playa>.",
        "Issued:    Mar 2, 2026",
        "Period:    Feb 24, 2026 to Mar 2, 2026",
        "Due:       Mar 9, 2026",
        "Total:     $1,234.50",
        "Paid:      $234.50",
        "Balance:   $1,000.00",
        "Gate code 4411",
        "Blue Lagoon Pools",
    ):
        assert line in text, line
    assert "Dear Ana O&#x27;Neil," in html
    assert f"<strong>{number}</strong> for Casa &lt;Playa&gt;." in html
    assert "Balance due</td>" in html and "$1,000.00" in html and "Mar 9, 2026" in html
    # The printable invoice rides along as a PDF (billing/tests/test_printing.py reads one).
    (pdf,) = list(message.iter_attachments())
    assert (pdf.get_content_type(), pdf.get_filename()) == ("application/pdf", f"{number}.pdf")
    assert pdf.get_content().startswith(b"%PDF")
    (result,) = queued()
    assert (result.status, result.return_value) == (
        "SUCCESSFUL",
        {"invoice": number, "sent_to": "ana@example.com"},
    )


def test_a_company_without_an_email_gets_replies_at_the_installations_address(
    office, smtp_server, ctx, django_capture_on_commit_callbacks
):
    office.email = ""
    office.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        services.invoice_send(ctx, invoice=a_draft())
    run_tasks()
    (message,) = smtp_server.wait_for(1)
    assert message["Reply-To"] == "installation@example.com"
    assert message["From"] == "Blue Lagoon Pools <office@bluelagoon.example>"


def test_each_company_sends_its_own_invoices_as_itself(
    office, smtp_server, django_capture_on_commit_callbacks
):
    acme = CompanyFactory(name="Acme Pools", email="")
    customer = CustomerFactory(company=acme, first_name="Bo", email="bo@example.com")
    invoice = make_invoice(prop=PropertyFactory(customer=customer), status="draft")
    with django_capture_on_commit_callbacks(execute=True):
        invoice = services.invoice_send(Ctx.system(acme), invoice=invoice)
    run_tasks()
    (message,) = smtp_server.wait_for(1)
    assert message["From"] == "Acme Pools <office@bluelagoon.example>"
    assert message["Reply-To"] == "installation@example.com"
    assert message["Subject"] == f"Invoice {invoice.number} from Acme Pools"
    (result,) = queued()
    assert result.args_kwargs["args"] == [acme.pk, invoice.pk]


def test_no_reply_to_when_none_is_configured(
    office, settings, smtp_server, ctx, django_capture_on_commit_callbacks
):
    settings.EMAIL_REPLY_TO = ""
    office.email = ""
    office.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        services.invoice_send(ctx, invoice=a_draft())
    run_tasks()
    (message,) = smtp_server.wait_for(1)
    assert message["Reply-To"] is None
    assert message["From"] == "Blue Lagoon Pools <office@bluelagoon.example>"


def test_a_customer_without_an_email_gets_none_and_the_office_is_told(
    office, admin_web, django_capture_on_commit_callbacks
):
    draft = a_draft(email=None)
    with django_capture_on_commit_callbacks(execute=True):
        page = admin_web.post(f"/admin/billing/invoice/{draft.pk}/send/", follow=True)
    draft.refresh_from_db()
    shown = [str(m) for m in page.context["messages"]]
    assert shown == [
        f"{draft.number} was sent. The customer has no email address: no email is sent."
    ]
    assert queued() == []


def test_the_send_action_names_the_invoices_not_emailed(
    admin_web, django_capture_on_commit_callbacks
):
    with_email, without = a_draft(), a_draft(email=None)
    with django_capture_on_commit_callbacks(execute=True):
        page = admin_web.post(
            "/admin/billing/invoice/",
            {"action": "send_selected", "_selected_action": [with_email.pk, without.pk]},
            follow=True,
        )
    without.refresh_from_db()
    shown = [str(m) for m in page.context["messages"]]
    assert shown == [
        "Sent 2 invoices.",
        f"No email address, so no email sent for: {without.number}.",
    ]
    assert [row.args_kwargs["args"] for row in queued()] == [[with_email.company_id, with_email.pk]]


def test_a_send_that_rolls_back_queues_no_email(ctx, django_capture_on_commit_callbacks):
    draft = a_draft()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.invoice_send(ctx, invoice=draft)
        raise RuntimeError("something after the send failed")
    assert callbacks == [] and queued() == []


def test_an_invoice_created_already_sent_is_recorded_without_an_email(
    ctx, django_capture_on_commit_callbacks
):
    """Clients of the original system record invoices they already issued (status sent)."""
    with django_capture_on_commit_callbacks(execute=True):
        make_invoice(issued=datetime.date.today().isoformat())
    assert queued() == []
