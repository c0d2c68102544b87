"""The billing admin: every save goes through the services; refusals are form errors."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.html import escape

from billing import services
from billing.models import Invoice, Payment
from billing.tests.conftest import make_invoice
from billing.tests.factories import InvoiceFactory
from core.context import Ctx
from customers.tests.factories import PropertyFactory
from tenancy.tests.factories import default_company

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/billing/invoice/"


def inline_management(total=0, initial=0, prefix="payments") -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def payments_formset(response):
    """The invoice page's payments (its lines come first)."""
    (inline,) = (
        inline
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == "payments"
    )
    return inline.formset


def change_post(invoice: Invoice, payments: list[dict], **fields) -> dict:
    data = {
        **inline_management(len(payments)),
        **inline_management(prefix="lines"),  # the invoice's lines (test_admin_lines.py)
        "notes": fields.pop("notes", ""),
    }
    for n, payment in enumerate(payments):
        for key, value in {"paid_date": "2026-01-12", "method": "cash", **payment}.items():
            data[f"payments-{n}-{key}"] = value
    data.update(fields)
    return data


def draft_fields(invoice: Invoice, **overrides) -> dict:
    data = {
        "customer": invoice.customer_id,
        "property": invoice.property_id,
        "period_start": "2026-01-05",
        "period_end": "2026-01-11",
        "issued_date": "2026-01-11",
        "due_date": "2026-01-18",
        "subtotal": "100.00",
        "tax": "0.00",
        "total": "100.00",
    }
    return {**data, **overrides}


def test_overpayment_is_refused_with_a_readable_message(ctx, admin_web, invoice):
    services.payment_record(ctx, invoice_id=invoice.pk, amount=Decimal("80.00"))
    url = f"{CHANGELIST}{invoice.pk}/change/"
    response = admin_web.post(url, change_post(invoice, [{"amount": "30.00"}]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "A payment of 30.00 exceeds the balance due of 20.00 on invoice INV-2026-000001" in html
    assert Payment.unscoped.count() == 1


def test_inline_payments_are_recorded_through_the_service(admin_web, invoice):
    url = f"{CHANGELIST}{invoice.pk}/change/"
    response = admin_web.post(
        url,
        change_post(invoice, [{"amount": "60.00", "reference": "A"}, {"amount": "40.00"}]),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert sorted(Payment.unscoped.values_list("amount", flat=True)) == [
        Decimal("40.00"),
        Decimal("60.00"),
    ]


def test_two_new_rows_are_judged_together_and_nothing_is_half_saved(admin_web, invoice):
    url = f"{CHANGELIST}{invoice.pk}/change/"
    response = admin_web.post(
        url, change_post(invoice, [{"amount": "60.00"}, {"amount": "60.00"}], notes="changed")
    )
    assert response.status_code == 200
    assert "exceeds the balance due of 40.00" in response.content.decode()
    assert not Payment.unscoped.exists()
    invoice.refresh_from_db()
    assert invoice.notes is None


def test_sent_invoice_is_read_only_except_notes(admin_web, invoice):
    url = f"{CHANGELIST}{invoice.pk}/change/"
    page = admin_web.get(url).content.decode()
    assert 'name="notes"' in page
    assert 'name="total"' not in page and 'name="customer"' not in page
    response = admin_web.post(
        url, change_post(invoice, [], notes="Gate code 1234", total="1.00", subtotal="1.00")
    )
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert (invoice.notes, invoice.total) == ("Gate code 1234", Decimal("100.00"))


def test_create_goes_through_invoice_create(admin_web):
    prop = PropertyFactory()
    draft = Invoice(customer=prop.customer, property=prop)
    data = {**draft_fields(draft, total="99.00"), "status": "sent"}
    response = admin_web.post(f"{CHANGELIST}add/", data)
    assert response.status_code == 200
    assert "total must equal subtotal + tax exactly" in response.content.decode()
    other = PropertyFactory()
    response = admin_web.post(
        f"{CHANGELIST}add/", {**data, "total": "100.00", "property": other.pk}
    )
    assert (
        escape(
            f"Property {other.label} ({other.address1}) belongs to {other.customer.full_name}, "
            f"not to {prop.customer.full_name}"
        )
        in response.content.decode()
    )
    assert not Invoice.unscoped.exists()
    response = admin_web.post(f"{CHANGELIST}add/", {**data, "total": "100.00"})
    assert response.status_code == 302
    assert Invoice.unscoped.get().number == "INV-2026-000001"


def test_draft_edit_goes_through_invoice_update(admin_web):
    draft = InvoiceFactory()
    url = f"{CHANGELIST}{draft.pk}/change/"
    response = admin_web.post(url, change_post(draft, [], **draft_fields(draft, tax="5.00")))
    assert "total must equal subtotal + tax exactly" in response.content.decode()
    response = admin_web.post(
        url, change_post(draft, [], **draft_fields(draft, tax="5.00", total="105.00"))
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.total, draft.status) == (Decimal("105.00"), "draft")


def test_send_and_void_actions(ctx, admin_web):
    drafts = InvoiceFactory.create_batch(2)
    paid = make_invoice()
    services.payment_record(ctx, invoice_id=paid.pk, amount=Decimal("100.00"))
    ids = [str(d.pk) for d in drafts]
    response = admin_web.post(
        CHANGELIST, {"action": "send_selected", "_selected_action": ids}, follow=True
    )
    assert "Sent 2 invoices." in response.content.decode()
    assert set(Invoice.unscoped.filter(pk__in=ids).values_list("status", flat=True)) == {"sent"}

    ids.append(str(paid.pk))
    page = admin_web.post(CHANGELIST, {"action": "void_selected", "_selected_action": ids})
    assert page.status_code == 200 and 'name="reason"' in page.content.decode()
    assert not Invoice.unscoped.filter(status="void").exists()
    response = admin_web.post(
        CHANGELIST,
        {"action": "void_selected", "_selected_action": ids, "apply": "1", "reason": "Dup"},
        follow=True,
    )
    html = response.content.decode()
    assert "Voided 2 invoices." in html
    assert f"{paid.number}: Invoice {paid.number} has payments and cannot be voided" in html
    assert Invoice.unscoped.get(pk=paid.pk).status == "paid"


def test_no_delete_anywhere(ctx, admin_web, invoice):
    payment = services.payment_record(ctx, invoice_id=invoice.pk, amount=Decimal("1.00"))
    assert admin_web.get(f"{CHANGELIST}{invoice.pk}/delete/").status_code == 403
    assert admin_web.get(f"/admin/billing/payment/{payment.pk}/delete/").status_code == 403
    assert "delete_selected" not in admin_web.get(CHANGELIST).content.decode()


def test_payment_admin_add_and_refusal(admin_web, invoice):
    url = "/admin/billing/payment/add/"
    data = {"invoice": invoice.pk, "amount": "100.01", "paid_date": "2026-01-12", "method": "cash"}
    response = admin_web.post(url, data)
    assert "exceeds the balance due of 100.00" in response.content.decode()
    response = admin_web.post(url, {**data, "amount": "100.00", "reference": "CASH-1"})
    assert response.status_code == 302
    payment = Payment.unscoped.get()
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    # Read only afterwards: the change page has no editable amount and saving is refused.
    page = admin_web.get(f"/admin/billing/payment/{payment.pk}/change/").content.decode()
    assert 'name="amount"' not in page
    response = admin_web.post(f"/admin/billing/payment/{payment.pk}/change/", {**data})
    assert response.status_code == 403


def test_a_payment_on_a_draft_says_it_sent_the_invoice(admin_web):
    draft = make_invoice(status="draft")
    response = admin_web.post(
        "/admin/billing/payment/add/",
        {"invoice": draft.pk, "amount": "10.00", "paid_date": "2026-01-12", "method": "cash"},
        follow=True,
    )
    assert "INV-2026-000001 was sent because a payment was recorded" in response.content.decode()
    other = make_invoice(status="draft")
    url = f"{CHANGELIST}{other.pk}/change/"
    response = admin_web.post(
        url, change_post(other, [{"amount": "10.00"}], **draft_fields(other)), follow=True
    )
    assert "INV-2026-000002 was sent because a payment was recorded" in response.content.decode()
    # A payment on an invoice already sent says nothing of the kind.
    response = admin_web.post(
        "/admin/billing/payment/add/",
        {"invoice": draft.pk, "amount": "10.00", "paid_date": "2026-01-12", "method": "cash"},
        follow=True,
    )
    assert "was sent because" not in response.content.decode()


def test_a_payment_dated_after_today_is_refused_in_the_admin(admin_web, invoice):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = admin_web.post(
        "/admin/billing/payment/add/",
        {"invoice": invoice.pk, "amount": "10.00", "paid_date": str(tomorrow), "method": "cash"},
    )
    assert f"paid_date {tomorrow} is after today" in response.content.decode()
    assert not Payment.unscoped.exists()


PAYMENTS = "/admin/billing/payment/"


def test_reverse_payments_from_the_list_asks_for_the_reason(ctx, admin_web, admin_user):
    invoice = make_invoice()
    wrong = services.payment_record(ctx, invoice_id=invoice.pk, amount=Decimal("100.00"))
    done = services.payment_record(ctx, invoice_id=make_invoice().pk, amount=Decimal("5.00"))
    services.payment_reverse(
        Ctx.for_user(admin_user, default_company()), payment_id=done.pk, reason="Bounced"
    )
    ids = [str(wrong.pk), str(done.pk)]
    page = admin_web.post(PAYMENTS, {"action": "reverse_selected", "_selected_action": ids})
    assert page.status_code == 200 and 'name="reason"' in page.content.decode()
    assert Payment.unscoped.filter(reversed_at__isnull=False).count() == 1
    response = admin_web.post(
        PAYMENTS,
        {"action": "reverse_selected", "_selected_action": ids, "apply": "1", "reason": "Dup"},
        follow=True,
    )
    html = response.content.decode()
    assert "Reversed 1 payment." in html
    assert (
        "5.00 on INV-2026-000002 (reversed): The payment of 5.00 on invoice INV-2026-000002 "
        "was already reversed"
    ) in html
    wrong.refresh_from_db()
    assert (wrong.reversal_reason, wrong.reversed_by, str(wrong)) == (
        "Dup",
        admin_user,
        "100.00 on INV-2026-000001 (reversed)",
    )
    invoice.refresh_from_db()
    assert invoice.status == "sent"
    assert "100.00 (reversed)" in admin_web.get(PAYMENTS).content.decode()
    # The invoice's page marks it too.
    page = admin_web.get(f"{CHANGELIST}{invoice.pk}/change/").content.decode()
    assert "100.00 on INV-2026-000001 (reversed)" in page


def test_reverse_button_on_the_payment_page(ctx, admin_web, admin_user, staff_web, invoice):
    payment = services.payment_record(ctx, invoice_id=invoice.pk, amount=Decimal("40.00"))
    url = f"{PAYMENTS}{payment.pk}/reverse/"
    page = admin_web.get(f"{PAYMENTS}{payment.pk}/change/").content.decode()
    assert url in page
    assert url not in staff_web.get(f"{PAYMENTS}{payment.pk}/change/").content.decode()
    assert staff_web.post(url, {"reason": "x"}).status_code == 403
    response = admin_web.post(url, {"reason": "  "})
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    response = admin_web.post(url, {"reason": "Typed 40 for 4"}, follow=True)
    html = response.content.decode()
    assert f"Reversed the payment {payment}." in html
    assert "Typed 40 for 4" in html and url not in html
    payment.refresh_from_db()
    assert payment.reversed_by == admin_user
    # Reversed twice (a second tab): a clear message, not a 500.
    response = admin_web.post(url, {"reason": "again"}, follow=True)
    assert "was already reversed" in response.content.decode()
    # A payment that does not exist (or is another company's): the admin's "not found" message.
    response = admin_web.get(f"{PAYMENTS}999999/reverse/", follow=True)
    assert response.status_code == 200
    assert "doesn\u2019t exist" in response.content.decode()


@pytest.mark.parametrize("count", [1, 20])
def test_changelists_run_a_fixed_number_of_queries(
    ctx, admin_web, django_assert_max_num_queries, count
):
    for _ in range(count):
        services.payment_record(ctx, invoice_id=make_invoice().pk, amount=Decimal("1.00"))
    admin_web.get(CHANGELIST)  # the first load caches the table's count
    admin_web.get("/admin/billing/payment/")
    with django_assert_max_num_queries(12):
        response = admin_web.get(CHANGELIST)
    assert response.status_code == 200
    assert "INV-2026-000001" in response.content.decode()
    with django_assert_max_num_queries(12):
        assert admin_web.get("/admin/billing/payment/").status_code == 200
    for query in ("?overdue=yes", "?status__exact=sent", "?q=INV-2026"):
        assert admin_web.get(CHANGELIST + query).status_code == 200


def test_changelist_marks_overdue_invoices_in_red_words(admin_web):
    import datetime

    today = datetime.date.today()
    late = make_invoice(issued=(today - datetime.timedelta(days=30)).isoformat())
    current = make_invoice(issued=today.isoformat())
    content = admin_web.get(CHANGELIST).content.decode()
    late_row = content[content.index(str(late)) :].split("</tr>", 1)[0]
    current_row = content[content.index(str(current)) :].split("</tr>", 1)[0]
    # The days overdue, in red (due 23 days ago: issued 30 days ago, due a week later).
    assert '<td class="field-overdue"><span class="overdue-flag">23 days</span></td>' in late_row
    assert "overdue-flag" not in current_row


def test_lowering_a_draft_total_below_a_new_payment_is_refused_not_a_500(admin_web):
    draft = make_invoice(status="draft")
    url = f"{CHANGELIST}{draft.pk}/change/"
    data = change_post(
        draft, [{"amount": "80.00"}], **draft_fields(draft, subtotal="50.00", total="50.00")
    )
    response = admin_web.post(url, data)
    assert response.status_code in (200, 302)
    draft.refresh_from_db()
    assert draft.total == Decimal("100.00")
    assert not Payment.unscoped.filter(invoice=draft).exists()
    page = (
        admin_web.get(url).content.decode()
        if response.status_code == 302
        else response.content.decode()
    )
    assert "exceeds the balance due" in page


# --- the invoice page: its own buttons, its amounts, its defaults -----------------------------


def test_a_sent_invoice_page_shows_its_amounts_and_buttons(ctx, admin_web, invoice):
    services.payment_record(ctx, invoice_id=invoice.pk, amount=Decimal("40.00"))
    response = admin_web.get(f"{CHANGELIST}{invoice.pk}/change/")
    page = response.content.decode()
    assert '<div class="readonly">$40.00</div>' in page  # amount paid
    assert '<div class="readonly">$60.00</div>' in page  # balance due
    assert 'id="invoice-send"' not in page  # only a draft is sent
    # A payment is on it: the service would refuse a void, so the page offers none.
    assert 'id="invoice-void"' not in page and 'href="#payments-group"' in page
    assert f'href="/admin/billing/invoice/statement/{invoice.customer_id}/?from=2026-01-11' in page
    # One empty payment row to fill in.
    assert payments_formset(response).total_form_count() == 2


def test_a_sent_invoice_without_payments_offers_void(ctx, admin_web, invoice):
    page = admin_web.get(f"{CHANGELIST}{invoice.pk}/change/").content.decode()
    assert 'id="invoice-void"' in page
    services.payment_record(ctx, invoice_id=invoice.pk, amount=Decimal("40.00"))
    services.payment_reverse(ctx, payment_id=invoice.payments.get().pk, reason="bounced")
    # A reversed payment counts as nothing: the invoice can be voided again.
    assert (
        'id="invoice-void"' in admin_web.get(f"{CHANGELIST}{invoice.pk}/change/").content.decode()
    )


def test_a_paid_invoice_page_has_no_empty_payment_row_and_no_payment_buttons(
    ctx, admin_web, invoice
):
    services.payment_record(ctx, invoice_id=invoice.pk, amount=Decimal("100.00"))
    response = admin_web.get(f"{CHANGELIST}{invoice.pk}/change/")
    page = response.content.decode()
    formset = payments_formset(response)
    assert formset.total_form_count() == 1 and not formset.extra_forms
    assert 'id="invoice-record-payment"' not in page and 'id="invoice-void"' not in page
    assert 'id="invoice-send"' not in page and 'id="invoice-print"' in page


def test_the_send_button_sends_and_comes_back_to_the_page(admin_web, staff_web):
    draft = make_invoice(status="draft")
    url = f"{CHANGELIST}{draft.pk}/change/"
    assert 'id="invoice-send"' in admin_web.get(url).content.decode()
    assert admin_web.get(f"{CHANGELIST}{draft.pk}/send/").status_code == 405  # a POST only
    assert staff_web.post(f"{CHANGELIST}{draft.pk}/send/").status_code == 403
    missing = admin_web.post(f"{CHANGELIST}{draft.pk + 1000}/send/", follow=True)
    # Django's own "doesn't exist" message, as for a missing change page.
    assert [str(m) for m in missing.context["messages"]] == [
        f"invoice with ID \u201c{draft.pk + 1000}\u201d doesn\u2019t exist. Perhaps it was deleted?"
    ]
    response = admin_web.post(f"{CHANGELIST}{draft.pk}/send/")
    assert response.status_code == 302 and response["Location"] == url
    draft.refresh_from_db()
    assert draft.status == "sent"
    again = admin_web.post(f"{CHANGELIST}{draft.pk}/send/", follow=True)
    shown = [str(m) for m in again.context["messages"]]
    assert shown == [
        f"{draft.number} was sent. It is emailed to {draft.customer.email}.",
        f"Invoice {draft.number} is sent: only a draft can be sent",
    ]


def test_the_void_button_opens_the_void_form_for_this_invoice(admin_web, invoice):
    data = {"action": "void_selected", "_selected_action": [invoice.pk]}
    page = admin_web.post(CHANGELIST, data).content.decode()
    assert 'name="reason"' in page and invoice.number in page
    admin_web.post(CHANGELIST, {**data, "apply": "1", "reason": "Billed twice"})
    invoice.refresh_from_db()
    assert (invoice.status, invoice.void_reason) == ("void", "Billed twice")


def test_a_new_invoice_is_issued_today_and_due_after_the_payment_terms(admin_web, settings):
    import datetime

    from django.utils import timezone

    settings.PAYMENT_TERMS_DAYS = 15
    form = admin_web.get(f"{CHANGELIST}add/").context["adminform"].form
    today = timezone.localdate()
    assert form.initial["issued_date"] == today
    assert form.initial["due_date"] == today + datetime.timedelta(days=15)
    assert form.fields["due_date"].widget.attrs["data-payment-terms-days"] == 15
    page = admin_web.get(f"{CHANGELIST}add/").content.decode()
    assert "billing/invoice_form.js" in page and "<script>" not in page


def test_an_inactive_customer_is_not_a_choice_for_a_new_invoice(admin_web):
    prop = PropertyFactory(customer__is_active=False)
    data = {**draft_fields(Invoice(customer=prop.customer, property=prop)), "status": "sent"}
    response = admin_web.post(f"{CHANGELIST}add/", data)
    assert "customer" in response.context["adminform"].form.errors
    assert not Invoice.unscoped.exists()
    # A draft of a customer deactivated since keeps its customer.
    draft = InvoiceFactory(property=PropertyFactory(customer__is_active=False))
    url = f"{CHANGELIST}{draft.pk}/change/"
    response = admin_web.post(url, change_post(draft, [], **draft_fields(draft, notes="x")))
    assert response.status_code == 302


def test_the_payment_list_links_its_invoice_and_customer_and_finds_by_name(ctx, admin_web):
    from customers.tests.factories import CustomerFactory

    ana = CustomerFactory(first_name="Ana", last_name="Rivera")
    mine = make_invoice(prop=PropertyFactory(customer=ana))
    payment = services.payment_record(ctx, invoice_id=mine.pk, amount=Decimal("5.00"))
    services.payment_record(ctx, invoice_id=make_invoice().pk, amount=Decimal("5.00"))
    page = admin_web.get("/admin/billing/payment/").content.decode()
    assert f'<a href="/admin/billing/invoice/{mine.pk}/change/">{mine.number}</a>' in page
    assert f'<a href="/admin/customers/customer/{ana.pk}/change/">Ana Rivera</a>' in page
    found = admin_web.get("/admin/billing/payment/", {"q": "ana rivera"}).context["cl"]
    assert [p.pk for p in found.result_list] == [payment.pk]
