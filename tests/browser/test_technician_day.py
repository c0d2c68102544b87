"""The technician's day on a phone (390 x 844, touch, in a real Chromium): today's route in
order, a stop with its flags and doses appearing as the readings are typed, a chemical from
the catalog, the checklist, a photo from the camera input, completed; and a stop skipped."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from accounts.tests.factories import DEFAULT_PASSWORD
from operations.models import Visit
from operations.tests.factories import VisitFactory
from tenancy.tests.factories import default_company

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 3, "mobile": True}
# A finger's target: the smallest the platforms' guidelines allow (44 pt, 48 dp).
TOUCH_PX = 44


@pytest.fixture
def phone(page):
    page.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    page.driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True})
    return page


def fits_the_screen(page) -> bool:
    return page.driver.execute_script(
        "return window.innerWidth === 390 && "
        "document.documentElement.scrollWidth <= window.innerWidth"
    )


def height(page, css: str) -> float:
    return page.driver.execute_script(
        "return document.querySelector(arguments[0]).getBoundingClientRect().height", css
    )


def wait_text(page, css: str, text: str, timeout: float = 10) -> None:
    WebDriverWait(page.driver, timeout).until(
        ec.text_to_be_present_in_element((By.CSS_SELECTOR, css), text)
    )


def tap(page, css: str) -> None:
    element = page.find(css)
    page.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def todays_route(technician) -> list[Visit]:
    today = default_company().today()
    names = [("Rosa", "Alvarez"), ("Luis", "Baez"), ("Carmen", "Cruz")]
    return [
        VisitFactory(
            plan__technician=technician,
            plan__pool__name=f"{last} pool",
            plan__pool__volume_gallons=20000,
            plan__pool__access_notes=f"Gate code {n}{n}{n}{n}",
            plan__pool__property__customer__first_name=first,
            plan__pool__property__customer__last_name=last,
            scheduled_date=today,
            # Not in the order they were made: the route's order is the position's.
            route_position=position,
        )
        for n, ((first, last), position) in enumerate(zip(names, (2, 1, 3), strict=True), 1)
    ]


def sign_in_to_my_day(page, technician) -> None:
    page.sign_in(technician.username, DEFAULT_PASSWORD)
    tap(page, "#my-day-link")
    page.wait_for("#day-route")


def test_a_technician_skips_a_stop_with_a_reason(phone, technician_user):
    page = phone
    _, baez, _ = todays_route(technician_user)
    sign_in_to_my_day(page, technician_user)
    tap(page, f"a[data-visit='{baez.pk}']")
    page.wait_for("#skip-form")
    assert fits_the_screen(page)
    assert height(page, "#skip-button") >= TOUCH_PX

    # No reason: refused beside the field, the note kept.
    page.fill("note", "Gate chained, nobody home")
    tap(page, "#skip-button")
    wait_text(page, "#error_reason", "Reason must be one of")
    assert page.find("#id_note").get_attribute("value") == "Gate chained, nobody home"

    Select(page.find("#id_reason")).select_by_value("gate_locked")
    tap(page, "#skip-button")

    wait_text(page, ".messagelist .success", "Luis Baez: stop skipped (Gate locked).")
    visit = Visit.unscoped.get(pk=baez.pk)
    assert (visit.status, visit.skip_reason, visit.skip_note) == (
        "skipped",
        "gate_locked",
        "Gate chained, nobody home",
    )
    assert page.find(f"a[data-visit='{baez.pk}'] .day-badge").text == "SKIPPED"
