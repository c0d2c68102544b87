"""The technician's day on a phone (390 x 844, touch, in a real Chromium): today's route in
order, a stop with its flags and doses appearing as the readings are typed, a chemical from
the catalog, the checklist, a photo from the camera input, completed; and a stop skipped."""

import datetime
from decimal import Decimal

import pytest
from PIL import Image
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from accounts.tests.factories import DEFAULT_PASSWORD
from catalog.tests.factories import stocked
from core.context import Ctx
from operations.models import Photo, Reading, Visit, VisitLine, VisitStatus
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


def test_a_technician_completes_a_stop_on_a_phone(phone, technician_user, tmp_path):
    page = phone
    alvarez, baez, cruz = todays_route(technician_user)
    last_week = alvarez.scheduled_date - datetime.timedelta(days=7)
    earlier = VisitFactory(plan=alvarez.plan, scheduled_date=last_week, technician=technician_user)
    Reading.objects.create(company=earlier.company, visit=earlier, pool=alvarez.plan.pool,
                           ph=Decimal("7.4"))  # fmt: skip
    acid = stocked(Ctx.system(default_company()), "10", name="Muriatic acid 31.45%",
                   sku="ACID-1", kind="chemical", unit="gal")  # fmt: skip
    photo = tmp_path / "pool.jpg"
    Image.new("RGB", (64, 48), (30, 140, 210)).save(photo, format="JPEG")

    sign_in_to_my_day(page, technician_user)

    # Today's route, in route order, fitting the phone.
    stops = page.find_all("#day-route .day-stop-customer")
    assert [s.text for s in stops] == ["Luis Baez", "Rosa Alvarez", "Carmen Cruz"]
    assert page.find("#day-summary").text == "3 stops, 3 left"
    assert fits_the_screen(page)
    assert height(page, "#day-route a") >= TOUCH_PX

    # The second stop: where, access, the last reading.
    tap(page, f"a[data-visit='{alvarez.pk}']")
    page.wait_for("#complete-form")
    assert page.find("#stop-where").text.startswith(alvarez.property.address1)
    assert page.find(f"#access-{alvarez.plan.pool_id}").text == "Access: Gate code 1111"
    last = " ".join(page.find(f"#last-{alvarez.plan.pool_id}").text.split())
    assert last.endswith("pH 7.4")
    assert fits_the_screen(page)

    # Readings: the flags and doses appear as they are typed.
    pool = alvarez.plan.pool_id
    page.fill(f"reading-{pool}-free_chlorine", "0.5")
    wait_text(page, f"#live-{pool} .day-flags", "Free chlorine low")
    wait_text(page, f"#live-{pool} .day-doses", "30.7 fl oz Liquid chlorine 12.5%")
    page.fill(f"reading-{pool}-ph", "8.0")
    wait_text(page, f"#live-{pool} .day-flags", "pH high")
    wait_text(page, f"#live-{pool} .day-doses", "64.0 fl oz Muriatic acid 31.45%")
    flagged = page.find_all(f"#pool-{pool} .day-field.flagged input")
    assert {f.get_attribute("name") for f in flagged} == {
        f"reading-{pool}-free_chlorine",
        f"reading-{pool}-ph",
    }
    page.fill(f"reading-{pool}-ph", "99")
    wait_text(page, f"#pool-{pool} .day-error", "Ensure this value is between 0 and 14.")
    page.fill(f"reading-{pool}-ph", "8.0")
    wait_text(page, f"#live-{pool} .day-flags", "pH high")

    # A chemical from the catalog.
    tap(page, "#add-line")
    page.wait_for("#lines .day-line .day-item-search").send_keys("acid")
    WebDriverWait(page.driver, 10).until(
        lambda d: (
            Select(page.find("#lines .day-item-select")).first_selected_option.text
            == "Muriatic acid 31.45% (ACID-1) · gal"
        )
    )
    page.find("#lines input[name$='-quantity']").send_keys("1.5")

    # The checklist, a note, and a photo from the camera input.
    for task in ("Skim the surface", "Empty baskets"):
        tap(page, f"#stop-checklist input[value='{task}']")
    page.fill("customer_notes", "Balanced and brushed.")
    camera = page.find("#id_photo")
    assert (camera.get_attribute("accept"), camera.get_attribute("capture")) == (
        "image/*",
        "environment",
    )
    camera.send_keys(str(photo))
    WebDriverWait(page.driver, 10).until(lambda d: page.find("#photo-preview").is_displayed())
    page.fill("photo_caption", "Clear water")
    assert height(page, "#complete-button") >= TOUCH_PX
    assert fits_the_screen(page)

    tap(page, "#complete-button")

    wait_text(page, ".messagelist .success", "Rosa Alvarez: stop completed.")
    assert page.find("#day-summary").text == "3 stops, 2 left"
    visit = Visit.unscoped.get(pk=alvarez.pk)
    assert visit.status == VisitStatus.COMPLETED
    assert visit.customer_notes == "Balanced and brushed."
    assert [c["task"] for c in visit.checklist if c["done"]] == [
        "Skim the surface",
        "Empty baskets",
    ]
    reading = Reading.unscoped.get(visit=visit)
    assert (reading.free_chlorine, reading.ph) == (Decimal("0.50"), Decimal("8.00"))
    assert reading.flags == ["fc_low", "ph_high"]
    line = VisitLine.unscoped.get(visit=visit)
    assert (line.item_id, line.quantity) == (acid.pk, Decimal("1.500"))
    stored = Photo.unscoped.get(visit=visit)
    assert (stored.caption, stored.width, stored.height) == ("Clear water", 64, 48)
    for other in (baez, cruz):
        assert Visit.unscoped.get(pk=other.pk).status == VisitStatus.SCHEDULED


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
