import pytest

from accounts.tests.factories import DEFAULT_PASSWORD
from tenancy.tests.factories import default_company

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_signs_in_to_the_branded_office(page, admin_user):
    page.sign_in(admin_user.username, DEFAULT_PASSWORD)
    assert page.find("#site-name").text == "Ektor back office"
    assert "Ektor back office" in page.driver.title
    # Beside the site's name, the company the office works for.
    assert page.find("#current-company").text == default_company().name
    # The admin CSS is served: the header has the styled background, not the browser default.
    header = page.find("#header")
    assert header.value_of_css_property("background-color") not in ("rgba(0, 0, 0, 0)", "")


def test_wrong_password_is_refused_with_a_message(page, admin_user):
    page.open("/admin/login/")
    page.fill("username", admin_user.username)
    page.fill("password", "not-the-password")
    page.find("input[type=submit]").click()
    assert "Please enter the correct username and password" in page.wait_for(".errornote").text
