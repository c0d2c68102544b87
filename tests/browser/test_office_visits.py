"""The office's routes in a real browser: a week scheduled from the plans (the admin action),
a technician's route of a day, and a completed visit with its photo and report."""

import datetime
import io
from decimal import Decimal

import pytest
from PIL import Image
from selenium.webdriver.common.by import By

from accounts.models import Role
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from core.context import Ctx
from ektor.files import file_save
from operations import visits
from operations.dashboard import week_start
from operations.models import Photo, Visit
from operations.tests.factories import ServicePlanFactory, VisitFactory
from tenancy.scoping import company_today
from tenancy.tests.factories import default_company

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def png(color: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), color).save(buffer, "PNG")
    return buffer.getvalue()


def completed_with_photo(ctx: Ctx, plan, day: datetime.date) -> Visit:
    visit = VisitFactory(plan=plan, scheduled_date=day, route_position=1)
    visits.visit_complete(
        ctx,
        visit=visit,
        readings=[{"pool_id": plan.pool_id, "ph": Decimal("8.1"), "free_chlorine": Decimal("2")}],
        checklist=[{"task": "Brush walls and steps", "done": True}],
        customer_notes="Filter cleaned.",
    )
    Photo.objects.create(
        company=visit.company,
        visit=visit,
        pool=plan.pool,
        caption="Skimmer basket",
        file_name=file_save("photos/basket.png", png("navy"), company=visit.company),
        thumbnail_name=file_save("photos/basket-thumb.png", png("teal"), company=visit.company),
        content_type="image/png",
        width=320,
        height=240,
        size=1000,
    )
    return visit


def test_the_office_schedules_a_week_and_follows_a_route(page, admin_user):
    ctx = Ctx.system(default_company())
    tech = UserFactory(username="maria", first_name="María", last_name="Ruiz", role=Role.TECHNICIAN)
    today = company_today(ctx)
    monday = week_start(today)
    plans = [
        ServicePlanFactory(
            technician=tech,
            weekday=2,
            start_date=monday - datetime.timedelta(weeks=2),
            route_position=n,
            pool__property__address1=f"{n} Calle Sol",
        )
        for n in (2, 1)
    ]
    last_week = monday - datetime.timedelta(days=5)  # last Wednesday
    visit = completed_with_photo(ctx, plans[0], last_week)

    page.sign_in(admin_user.username, DEFAULT_PASSWORD)

    # Next week, from the plans' changelist: the action's small form, prefilled.
    page.open("/admin/operations/serviceplan/")
    page.wait_for("#action-toggle").click()
    page.select("action", "schedule_visits")
    page.click_through(page.find("button[name=index]"))
    page.wait_for("#action-form")
    next_monday = monday + datetime.timedelta(weeks=1)
    assert page.find("[name=date_from]").get_attribute("value") == next_monday.isoformat()
    page.click_through(page.find("#action-apply"))
    message = page.wait_for(".messagelist .success").text
    sunday = next_monday + datetime.timedelta(days=6)
    assert message == (
        f"Scheduled 2 visits from {next_monday:%b %-d, %Y} to {sunday:%b %-d, %Y} "
        "(0 already there)."
    )

    # María's route of next Wednesday, in route order.
    wednesday = next_monday + datetime.timedelta(days=2)
    page.open(f"/admin/operations/visit/?date={wednesday.isoformat()}")
    page.wait_for("#changelist-filter")
    page.click_through(page.find("#changelist-filter").find_element(By.LINK_TEXT, "María Ruiz"))
    page.wait_for("#result_list")
    rows = [row.text for row in page.find_all("#result_list tbody tr")]
    assert len(rows) == 2
    assert "1 Calle Sol" in rows[0] and "2 Calle Sol" in rows[1]
    assert all("Scheduled" in row and "María Ruiz" in row for row in rows)

    # Last Wednesday's completed stop: its reading, its photo (the thumbnail shows), its report.
    page.open(f"/admin/operations/visit/?date={last_week.isoformat()}&technician={tech.pk}")
    page.click_through(page.wait_for("#result_list .field-stop a"))
    thumb = page.wait_for("img.visit-thumb")
    assert f"/admin/operations/visit/{visit.pk}/change/" in page.driver.current_url
    assert thumb.get_attribute("alt") == "Skimmer basket"
    assert thumb.is_displayed()
    assert page.driver.execute_script("return arguments[0].naturalWidth", thumb) == 320
    assert "ph_high" in page.find(".visit-readings").text
    report = page.find("#visit-report")
    assert report.get_attribute("href").endswith(f"/admin/operations/visit/{visit.pk}/report/")
    page.open(f"/admin/operations/visit/{visit.pk}/report/")
    body = page.wait_for("main").text
    assert "Filter cleaned." in body and "Skimmer basket" in body
    shown = page.find("main img")
    assert page.driver.execute_script("return arguments[0].naturalWidth", shown) == 320
