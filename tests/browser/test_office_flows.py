"""The office's day in a real browser: an admin bills a customer from scratch and collects
the money; staff look but cannot touch."""

import datetime

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from accounts.tests.factories import DEFAULT_PASSWORD
from billing.models import Invoice, InvoiceStatus
from customers.models import Customer
from customers.tests.factories import CustomerFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def autocomplete(page, field: str, term: str) -> None:
    """Pick the first match of `term` in the admin's select2 autocomplete for `field`."""
    page.find(f".field-{field} .select2-selection").click()
    search = page.wait_for(".select2-container--open .select2-search__field")
    search.send_keys(term)
    WebDriverWait(page.driver, 10).until(
        ec.text_to_be_present_in_element(
            (By.CSS_SELECTOR, ".select2-results__option--highlighted"), term
        )
    )
    search.send_keys(Keys.ENTER)
    WebDriverWait(page.driver, 10).until(
        ec.text_to_be_present_in_element((By.CSS_SELECTOR, f".field-{field}"), term)
    )


def success_message(page) -> str:
    return page.wait_for(".messagelist .success").text


def test_admin_bills_a_customer_and_collects_the_money(page, admin_user):
    page.sign_in(admin_user.username, DEFAULT_PASSWORD)

    # A customer with a property, from one form.
    page.open("/admin/customers/customer/add/")
    page.fill("first_name", "Marisol")
    page.fill("last_name", "Quiñones")
    page.fill("email", "marisol@example.com")
    page.find("#properties-group .add-row a").click()
    page.wait_for("[name='properties-0-label']")
    page.fill("properties-0-label", "Casa Marisol")
    page.fill("properties-0-address1", "7 Calle Luna")
    page.fill("properties-0-city", "Rincón")
    page.submit()
    assert "was added successfully" in success_message(page)
    customer = Customer.unscoped.get(email="marisol@example.com")
    assert customer.properties.get().label == "Casa Marisol"

    # A draft invoice, then sent from the changelist's action.
    page.open("/admin/billing/invoice/add/")
    page.wait_for(".field-customer .select2-selection")
    autocomplete(page, "customer", "Marisol")
    autocomplete(page, "property", "Casa Marisol")
    today = datetime.date.today()
    for name, value in {
        "period_start": today - datetime.timedelta(days=6),
        "period_end": today,
        "issued_date": today,
        "due_date": today + datetime.timedelta(days=7),
    }.items():
        page.fill(name, value.isoformat())
    page.fill("subtotal", "100.00")
    page.fill("tax", "0.00")
    page.fill("total", "100.00")
    page.select("status", "draft")
    page.submit()
    assert "was added successfully" in success_message(page)
    invoice = Invoice.unscoped.get(customer=customer)
    assert invoice.status == InvoiceStatus.DRAFT

    page.open("/admin/billing/invoice/?status__exact=draft")
    page.wait_for(f"input[name=_selected_action][value='{invoice.pk}']").click()
    page.select("action", "send_selected")
    page.click_through(page.find("button[name=index]"))
    assert success_message(page) == "Sent 1 invoice."
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.SENT and invoice.number

    # A partial payment, an overpayment refused, then the rest: paid.
    change = f"/admin/billing/invoice/{invoice.pk}/change/"

    def pay(amount: str) -> None:
        """Fill the inline's blank row (after the payments already recorded) and save."""
        page.open(change)
        recorded = page.wait_for("[name='payments-INITIAL_FORMS']").get_attribute("value")
        row = f"payments-{recorded}"
        page.fill(f"{row}-amount", amount)
        page.fill(f"{row}-paid_date", today.isoformat())
        page.select(f"{row}-method", "ath_movil")
        page.submit("input[name=_continue]")

    pay("40.00")
    assert "was changed successfully" in success_message(page)
    assert page.find("#payments-0 .field-amount").text == "40.00"  # the stored payment
    pay("80.00")
    refusal = page.wait_for(".errorlist").text
    assert f"A payment of 80.00 exceeds the balance due of 60.00 on invoice {invoice.number}" in (
        refusal
    )
    pay("60.00")
    assert "was changed successfully" in success_message(page)
    assert page.find(".field-status .readonly").text == "Paid"
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID and invoice.payments.count() == 2

    # The printable statement, one click from the customer.
    page.open(f"/admin/customers/customer/{customer.pk}/change/")
    page.click_through(
        page.find(".field-shortcuts").find_element(By.PARTIAL_LINK_TEXT, str(today.year))
    )
    table = page.wait_for("table").text
    assert invoice.number in table and "STATEMENT" in page.find("header").text.upper()
    assert page.find("table.totals tr.due").text.endswith("$0.00")


def test_staff_views_but_cannot_change(page, staff_user):
    customer = CustomerFactory(first_name="Ana", last_name="Rivera")
    page.sign_in(staff_user.username, DEFAULT_PASSWORD)
    page.open("/admin/customers/customer/")
    page.wait_for("#result_list")
    assert "Ana Rivera" in page.find("#result_list").text
    assert not page.find_all(".object-tools .addlink")
    page.open(f"/admin/customers/customer/{customer.pk}/change/")
    page.wait_for(".field-first_name .readonly")
    assert page.find(".field-first_name .readonly").text == "Ana"
    assert not page.find_all("input[name=_save]") and not page.find_all(".deletelink")
    page.open("/admin/customers/customer/add/")
    assert "403 Forbidden" in page.wait_for("h1").text
