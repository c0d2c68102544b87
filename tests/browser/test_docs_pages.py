"""The docs pages and the admin run under the CSP (no inline script allowed) in a real browser:
nothing is refused, Swagger UI and ReDoc render the document, ReDoc's fonts load."""

import pytest
from django.urls import reverse
from selenium.webdriver.support.ui import WebDriverWait

from accounts.tests.factories import DEFAULT_PASSWORD
from customers.tests.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs before any page script and is not subject to the page's CSP.
RECORD_VIOLATIONS = (
    "window.__csp = [];"
    "document.addEventListener('securitypolicyviolation',"
    " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
)


@pytest.fixture
def watched(page):
    page.driver.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_VIOLATIONS}
    )
    return page


def violations(page) -> list[str]:
    return page.driver.execute_script("return window.__csp")


def test_swagger_ui_renders_the_operations_without_inline_scripts(watched):
    watched.open("/docs")
    watched.wait_for(".opblock-tag", timeout=30)
    assert "invoices" in [tag.text for tag in watched.find_all(".opblock-tag")]
    assert violations(watched) == []
    csp = watched.driver.execute_script(
        "return fetch('/docs').then(r => r.headers.get('Content-Security-Policy'))"
    )
    assert "script-src 'self';" in csp


def test_redoc_renders_with_its_own_fonts(watched):
    watched.open("/redoc")
    watched.wait_for("h1", timeout=30)
    driver = watched.driver
    WebDriverWait(driver, 10).until(
        lambda d: d.execute_script("return document.fonts.status") == "loaded"
    )
    loaded = driver.execute_script(
        "return [...document.fonts].filter(f => f.status == 'loaded').map(f => f.family)"
    )
    assert {"Roboto", "Montserrat"} <= {family.strip("'\"") for family in loaded}
    assert "Ektor back office API" in watched.text()
    # ReDoc's sidebar credits Redocly with a logo from Redocly's CDN: refused on purpose (no
    # CDN), and ReDoc then leaves the image out. Nothing else is refused.
    assert violations(watched) in ([], ["img-src https://cdn.redoc.ly/redoc/logo-mini.svg"])


def test_admin_pages_run_without_inline_scripts(watched, admin_user):
    watched.sign_in(admin_user.username, DEFAULT_PASSWORD)
    for path in ("/admin/", "/admin/customers/customer/add/", "/admin/billing/invoice/"):
        watched.open(path)
        watched.wait_for("#content")
        assert violations(watched) == [], path


def test_the_statement_prints_without_inline_scripts(watched, admin_user):
    customer = CustomerFactory(first_name="Ana", last_name="Rivera")
    # Headless Chromium has no print dialog: record the call instead.
    watched.driver.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument",
        {"source": "window.print = () => { window.__printed = true; };"},
    )
    watched.sign_in(admin_user.username, DEFAULT_PASSWORD)
    statement = reverse("admin:billing_statement", args=[customer.pk])
    watched.open(f"{statement}?from=2026-01-01&to=2026-12-31")
    watched.wait_for("[data-print]").click()
    WebDriverWait(watched.driver, 5).until(lambda d: d.execute_script("return window.__printed"))
    assert violations(watched) == []
