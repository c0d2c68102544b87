"""The office's pages in a real browser: the invoice page's own buttons, the property picker
following the customer, what fits a 1,400-pixel screen, the index's order and a refused page."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from accounts.tests.factories import DEFAULT_PASSWORD
from billing import services
from billing.models import InvoiceStatus
from billing.tests.conftest import make_invoice
from customers.tests.factories import CustomerFactory, PropertyFactory
from tests.browser.test_office_flows import autocomplete, success_message

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fits_the_screen(page) -> bool:
    """No horizontal scrolling: the page is no wider than the window."""
    return page.driver.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth"
    )


def in_view(page, css: str) -> bool:
    return page.driver.execute_script(
        "const box = document.querySelector(arguments[0]).getBoundingClientRect();"
        "return box.width > 0 && box.left >= 0 && box.right <= window.innerWidth;",
        css,
    )


def test_the_invoice_page_has_its_own_buttons(page, admin_user):
    prop = PropertyFactory(customer__first_name="Ana", customer__last_name="Rivera")
    draft = make_invoice(prop=prop, status="draft", total="100.00")
    page.sign_in(admin_user.username, DEFAULT_PASSWORD)
    change = f"/admin/billing/invoice/{draft.pk}/change/"
    page.open(change)
    page.wait_for("#invoice-send")
    for button in ("#invoice-send", "#invoice-void", "#invoice-print", "#invoice-record-payment"):
        assert page.find(button).is_displayed(), button
    assert page.find(".field-amount_paid_ .readonly").text == "$0.00"
    assert page.find(".field-balance_due_ .readonly").text == "$100.00"

    page.click_through(page.find("#invoice-send"))
    message = success_message(page)  # waits for the answer, so the number is assigned
    draft.refresh_from_db()
    assert message == f"{draft.number} was sent. It is emailed to {draft.customer.email}."
    assert page.driver.current_url.endswith(change)
    assert page.find(".field-status .readonly").text == "Sent"
    assert not page.find_all("#invoice-send")

    # Record payment leads to the payment row on the same page.
    page.find("#invoice-record-payment").click()
    WebDriverWait(page.driver, 5).until(lambda d: d.current_url.endswith("#payments-group"))
    page.fill("payments-0-amount", "100.00")
    page.submit("input[name=_continue]")
    assert "was changed successfully" in success_message(page)
    assert page.find(".field-balance_due_ .readonly").text == "$0.00"
    # Paid: no empty payment row, no payment or void button; Print stays.
    assert page.find("[name='payments-TOTAL_FORMS']").get_attribute("value") == "1"
    assert not page.find_all("#invoice-record-payment") and not page.find_all("#invoice-void")

    page.click_through(page.find("#invoice-print"))
    page.wait_for("table")
    assert draft.number in page.find("table").text


def test_the_void_button_asks_for_a_reason(page, admin_user):
    invoice = make_invoice()
    page.sign_in(admin_user.username, DEFAULT_PASSWORD)
    page.open(f"/admin/billing/invoice/{invoice.pk}/change/")
    page.wait_for("#invoice-void").click()
    page.wait_for("[name='reason']").send_keys("Billed twice")
    page.click_through(page.find("input[type=submit][value='Void 1 invoice']"))
    assert success_message(page) == "Voided 1 invoice."
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.VOID


def test_the_property_choices_follow_the_customer(page, admin_user):
    ana = PropertyFactory(label="Casa Ana", customer__first_name="Ana").customer
    PropertyFactory(label="Casa Bruno", customer__first_name="Bruno")
    page.sign_in(admin_user.username, DEFAULT_PASSWORD)
    page.open("/admin/billing/invoice/add/")
    page.wait_for(".field-customer .select2-selection")
    today = timezone.localdate()
    assert page.find("[name='issued_date']").get_attribute("value") == today.isoformat()
    due = today + datetime.timedelta(days=30)
    assert page.find("[name='due_date']").get_attribute("value") == due.isoformat()

    autocomplete(page, "customer", "Ana")
    page.find(".field-property .select2-selection").click()
    search = page.wait_for(".select2-container--open .select2-search__field")
    search.send_keys("Casa")
    WebDriverWait(page.driver, 10).until(
        ec.text_to_be_present_in_element(
            (By.CSS_SELECTOR, ".select2-results__option--highlighted"), "Casa Ana"
        )
    )
    WebDriverWait(page.driver, 10).until_not(
        lambda d: d.find_elements(By.CSS_SELECTOR, ".select2-results__option.loading-results")
    )
    offered = [o.text for o in page.find_all(".select2-results__option")]
    assert offered == ["Casa Ana"]  # not Bruno's
    search.send_keys("\n")
    WebDriverWait(page.driver, 10).until(
        ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".field-property"), "Casa Ana")
    )

    # Another customer: the property of the first is cleared, and the second's are offered.
    autocomplete(page, "customer", "Bruno")
    assert page.find("#id_property").get_attribute("value") == ""
    autocomplete(page, "property", "Casa Bruno")
    assert page.find("#id_customer").get_attribute("value") != str(ana.pk)

    # The due date follows the issued date until one is typed.
    page.fill("issued_date", "2026-03-01")
    page.find("[name='notes']").click()  # leaves the field: its change event
    assert page.find("[name='due_date']").get_attribute("value") == "2026-03-31"


def test_the_customer_page_and_the_invoice_list_fit_1400_pixels(ctx, page, admin_user):
    customer = CustomerFactory(first_name="Alejandrina", last_name="Villanueva-Santiago")
    PropertyFactory.create_batch(
        2,
        customer=customer,
        label="Residencia Principal Las Palmas",
        address1="1234 Calle Almendro Urbanización Los Prados",
        address2="Apartamento 1203",
        city="San Sebastián",
        notes="Gate code 4471, dog in the yard",
    )
    invoice = make_invoice(
        prop=customer.properties.first(),
        issued=(timezone.localdate() - datetime.timedelta(days=40)).isoformat(),
        total="12345.67",
    )
    services.payment_record(ctx, invoice_id=invoice.pk, amount=Decimal("45.67"))
    page.sign_in(admin_user.username, DEFAULT_PASSWORD)
    assert page.driver.execute_script("return window.innerWidth") <= 1400

    page.open(f"/admin/customers/customer/{customer.pk}/change/")
    page.wait_for("#properties-group")
    for name in ("label", "address1", "address2", "city", "state", "postal_code", "notes"):
        assert in_view(page, f"[name='properties-0-{name}']"), name
    assert in_view(page, "[name='properties-0-is_active']")
    assert fits_the_screen(page)

    page.open("/admin/billing/invoice/")
    page.wait_for("#result_list")
    for column in ("issued", "due", "overdue", "balance"):
        assert in_view(page, f"#result_list th.column-{column}"), column
    assert page.find("td.field-overdue").text == "33 days"
    assert fits_the_screen(page)


def test_the_index_puts_the_business_first_and_views_no_missing_site(page, admin_user):
    page.sign_in(admin_user.username, DEFAULT_PASSWORD)
    page.open("/admin/")
    page.wait_for("#content-main")
    captions = [c.text for c in page.find_all("#content-main .module caption")]
    business = [c for c in captions if c in ("CUSTOMERS", "BILLING", "ACCOUNTS")]
    assert business == ["CUSTOMERS", "BILLING", "ACCOUNTS"]
    assert not page.driver.find_elements(By.LINK_TEXT, "VIEW SITE")
    assert "View site" not in page.find("#user-tools").text


def test_a_refused_page_keeps_the_navigation_and_says_why(page, staff_user):
    page.sign_in(staff_user.username, DEFAULT_PASSWORD)
    page.open("/admin/billing/invoice/add/")
    assert "403 Forbidden" in page.wait_for("#content h1").text
    assert page.find("#denial-reason").text == "Your role (staff) can view but not add invoices."
    assert page.find("#user-tools") and page.find("#nav-sidebar")
    # The navigation leads on from the refusal.
    page.click_through(page.find("#nav-sidebar").find_element(By.LINK_TEXT, "Customers"))
    page.wait_for("#changelist")
    assert page.find("#content h1").text == "Select customer to view"
