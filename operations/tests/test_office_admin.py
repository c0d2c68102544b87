"""The office's pages for plans and visits: today's routes, a visit's page, the dashboard's
figures, and the plans on the pool's and the customer's pages."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import UserFactory
from catalog.tests.factories import ItemFactory
from core.context import Ctx
from customers.tests.factories import PropertyFactory
from ektor.files import file_save
from operations.models import Photo, Reading, ServicePlan, Visit, VisitLine, VisitStatus
from operations.tests.factories import ServicePlanFactory, VisitFactory
from pools.tests.factories import PoolFactory
from tenancy.scoping import company_today
from tenancy.tests.factories import default_company

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/operations/visit/"


def today(ctx) -> datetime.date:
    return company_today(ctx)


def route_of(technician, day: datetime.date, count: int, **fields) -> list:
    """`count` visits of `technician` on `day`, their route positions in reverse of creation."""
    return [
        VisitFactory(
            plan__technician=technician,
            scheduled_date=day,
            route_position=count - n,
            plan__pool__property__address1=f"{n} Calle Sol",
            **fields,
        )
        for n in range(count)
    ]


@pytest.fixture
def tech():
    return UserFactory(username="maria", first_name="María", last_name="Ruiz", role=Role.TECHNICIAN)


def listed(response) -> list[int]:
    assert response.status_code == 200
    return [visit.pk for visit in response.context["cl"].result_list]


def test_the_changelist_is_todays_routes_in_route_order(ctx, staff_web, tech):
    other = UserFactory(username="pedro", role=Role.TECHNICIAN)
    mine = route_of(tech, today(ctx), 3)
    theirs = route_of(other, today(ctx), 2)
    route_of(tech, today(ctx) - datetime.timedelta(days=1), 2)  # yesterday's
    response = staff_web.get(CHANGELIST)
    assert set(listed(response)) == {v.pk for v in mine + theirs}
    one = listed(staff_web.get(CHANGELIST, {"technician": tech.pk}))
    # Route order: position, then id (created last is first here).
    assert one == [v.pk for v in reversed(mine)]
    content = staff_web.get(CHANGELIST, {"technician": tech.pk}).content.decode()
    assert "2 Calle Sol" in content and str(mine[0].customer) in content
    # The technician filter offers the company's technicians by name, today is chosen.
    filters = response.context["cl"].filter_specs
    technicians = [c["display"] for c in filters[1].choices(response.context["cl"])]
    assert technicians[2:] == ["María Ruiz", "pedro"]
    days = [c for c in filters[0].choices(response.context["cl"]) if c["selected"]]
    assert [c["display"] for c in days] == [f"Today ({today(ctx):%b %-d, %Y})"]


def test_another_day_this_week_and_every_day(ctx, staff_web, tech):
    day = datetime.date(2026, 1, 7)
    there = route_of(tech, day, 2)
    route_of(tech, today(ctx), 1)
    assert set(listed(staff_web.get(CHANGELIST, {"date": "2026-01-07"}))) == {v.pk for v in there}
    assert len(listed(staff_web.get(CHANGELIST, {"date": "all"}))) == 3
    assert len(listed(staff_web.get(CHANGELIST, {"date": "week"}))) == 1
    # Not a day: Django's "?e=1" page, never a 500.
    response = staff_web.get(CHANGELIST, {"date": "2026-13-45"})
    assert response.status_code == 302 and response["Location"].endswith("?e=1")


def test_the_status_filter_has_what_is_left(ctx, staff_web, tech):
    done, left, started = route_of(tech, today(ctx), 3)
    for visit, status in ((done, VisitStatus.COMPLETED), (started, VisitStatus.IN_PROGRESS)):
        visit.status = status
        visit.completed_at = timezone.now() if status == VisitStatus.COMPLETED else None
        visit.save()
    assert set(listed(staff_web.get(CHANGELIST, {"status": "left"}))) == {left.pk, started.pk}
    assert listed(staff_web.get(CHANGELIST, {"status": "completed"})) == [done.pk]


def completed_visit(ctx, tech, *, flags=("ph_high",), when=None):
    visit = VisitFactory(
        plan__technician=tech,
        scheduled_date=when or today(ctx),
        status=VisitStatus.COMPLETED,
        completed_at=timezone.now(),
        checklist=[{"task": "brush", "done": True}, {"task": "vacuum", "done": False}],
        customer_notes="Filter cleaned.",
    )
    pool = visit.plan.pool
    Reading.objects.create(
        company=visit.company,
        visit=visit,
        pool=pool,
        free_chlorine=Decimal("1.50"),
        ph=Decimal("7.90"),
        total_alkalinity=Decimal("70"),
        lsi=Decimal("-0.14"),
        flags=list(flags),
    )
    return visit


def test_a_visits_page_shows_readings_lines_checklist_and_photos(ctx, staff_web, tech):
    visit = completed_visit(ctx, tech)
    item = ItemFactory(name="Liquid chlorine")
    VisitLine.objects.create(
        company=visit.company,
        visit=visit,
        item=item,
        pool=visit.plan.pool,
        description="Liquid chlorine",
        quantity=Decimal("2.5"),
        unit_price=Decimal("8.99"),
    )
    name = file_save("photos/x.jpg", b"jpeg", company=visit.company)
    thumb = file_save("photos/x-thumb.jpg", b"jpeg", company=visit.company)
    Photo.objects.create(
        company=visit.company,
        visit=visit,
        caption="Skimmer basket",
        file_name=name,
        thumbnail_name=thumb,
        content_type="image/jpeg",
        width=10,
        height=10,
        size=4,
    )
    response = staff_web.get(f"{CHANGELIST}{visit.pk}/change/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="visit-readings"' in page
    for shown in ("<td>1.5</td>", "<td>7.9</td>", "<td>70</td>", "<td>-0.14</td>", "ph_high"):
        assert shown in page, shown
    assert "Liquid chlorine" in page and "$8.99" in page and "<td>2.5</td>" in page
    assert "✓ brush" in page and "✗ vacuum" in page
    assert 'class="visit-thumb"' in page and 'alt="Skimmer basket"' in page
    assert "x-thumb" in page
    report = f"{CHANGELIST}{visit.pk}/report/"
    assert f'href="{report}"' in page
    opened = staff_web.get(report)
    assert opened.status_code == 200
    assert (
        "Filter cleaned." in opened.content.decode() and "Skimmer basket" in opened.content.decode()
    )
    # Staff read it; nothing on it saves.
    assert 'name="_save"' not in page


def test_the_dashboard_counts_todays_visits_and_this_weeks_water(ctx, staff_web, tech):
    done, skipped, left, cancelled = route_of(tech, today(ctx), 4)
    done.status, done.completed_at = VisitStatus.COMPLETED, timezone.now()
    done.save()
    skipped.status, skipped.skip_reason = VisitStatus.SKIPPED, "dog"
    skipped.save()
    cancelled.status = VisitStatus.CANCELLED
    cancelled.save()
    flagged = completed_visit(ctx, tech, when=today(ctx) - datetime.timedelta(days=30))
    completed_visit(ctx, tech, flags=())  # in range
    old = completed_visit(ctx, tech)
    Reading.unscoped.filter(visit=old).update(created_at=timezone.now() - datetime.timedelta(8))
    response = staff_web.get("/admin/")
    visits = response.context["visits"]
    # The two completed_visit() of today are done too; the cancelled one is nowhere.
    assert (visits.done, visits.skipped, visits.left) == (3, 1, 1)
    assert visits.out_of_range == 1
    page = response.content.decode()
    day = today(ctx).isoformat()
    for link in (f"?date={day}&amp;status=completed", f"?date={day}&amp;status=left"):
        assert f'href="/admin/operations/visit/{link}"' in page
    # Each figure's link lists what it counts.
    assert listed(staff_web.get(CHANGELIST, {"date": day, "status": "left"})) == [left.pk]
    out = listed(staff_web.get(CHANGELIST, {"date": "all", "readings": "week"}))
    assert out == [flagged.pk]
    assert 'href="/admin/operations/visit/?date=all&amp;readings=week"' in page


def test_the_pools_page_lists_its_plans_and_the_customers_page_links_them(ctx, staff_web, tech):
    pool = PoolFactory(property=PropertyFactory())
    plan = ServicePlanFactory(pool=pool, technician=tech)
    ServicePlanFactory()  # another pool's
    page = staff_web.get(f"/admin/pools/pool/{pool.pk}/change/").content.decode()
    assert f"/admin/operations/serviceplan/{plan.pk}/change/" in page
    customer = pool.property.customer
    page = staff_web.get(f"/admin/customers/customer/{customer.pk}/change/").content.decode()
    plans = f"/admin/operations/serviceplan/?pool__property__customer__id__exact={customer.pk}"
    assert plans.replace("&", "&amp;") in page
    assert [p.pk for p in staff_web.get(plans).context["cl"].result_list] == [plan.pk]
    visits = f"{CHANGELIST}?date=all&customer__id__exact={customer.pk}"
    assert visits.replace("&", "&amp;") in page
    VisitFactory(plan=plan, scheduled_date=datetime.date(2026, 1, 7))
    assert len(staff_web.get(visits).context["cl"].result_list) == 1


def test_the_plan_changelist(staff_web, tech):
    plan = ServicePlanFactory(technician=tech, weekday=2, rate=Decimal("160.00"))
    response = staff_web.get("/admin/operations/serviceplan/")
    page = response.content.decode()
    assert "Wednesday" in page and "$160.00 per month" in page and "María Ruiz</td>" in page
    assert [p.pk for p in response.context["cl"].result_list] == [plan.pk]
    searched = staff_web.get("/admin/operations/serviceplan/", {"q": plan.pool.name})
    assert searched.context["cl"].result_count == 1
    assert default_company().pk == plan.company_id


# --- writes: through the visit services -------------------------------------------------------


def events(visit) -> list[str]:
    from audit.models import AuditEvent

    rows = AuditEvent.objects.filter(object_type="visit", object_id=visit.pk).order_by("id")
    return list(rows.values_list("action", flat=True))


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_an_admin_adds_a_work_order(admin_web, tech):
    prop = PropertyFactory(label="Casa Luna")
    response = admin_web.post(
        f"{CHANGELIST}add/",
        {
            "kind": "work_order",
            "property": prop.pk,
            "technician": tech.pk,
            "scheduled_date": "2026-01-08",
            "title": "Green to clean",
            "customer_notes": "",
            "office_notes": "Bring the vacuum",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    visit = Visit.objects.of(Ctx.system(default_company())).get()
    assert (visit.kind, visit.customer_id, visit.technician_id) == (
        "work_order",
        prop.customer_id,
        tech.pk,
    )
    assert (visit.title, visit.customer_notes) == ("Green to clean", None)
    assert events(visit) == ["create"]


def test_only_technicians_of_the_company_are_offered(admin_web, tech):
    UserFactory(username="clerk")  # staff
    form = admin_web.get(f"{CHANGELIST}add/").context["adminform"].form
    assert [u.username for u in form.fields["technician"].queryset] == ["maria"]


def test_a_scheduled_visit_changes_through_visit_update(ctx, admin_web, tech):
    visit = VisitFactory(scheduled_date=datetime.date(2026, 1, 7))
    url = f"{CHANGELIST}{visit.pk}/change/"
    form = admin_web.get(url).context["adminform"].form
    assert set(form.fields) == {
        "technician",
        "scheduled_date",
        "title",
        "customer_notes",
        "office_notes",
    }
    response = admin_web.post(
        url,
        {
            "technician": tech.pk,
            "scheduled_date": "2026-01-09",
            "title": "",
            "customer_notes": "",
            "office_notes": "Gate code 1234",
        },
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert (visit.technician_id, visit.scheduled_date, visit.office_notes) == (
        tech.pk,
        datetime.date(2026, 1, 9),
        "Gate code 1234",
    )
    assert events(visit) == ["update"]


def test_a_completed_visit_is_corrected_by_an_admin_only(ctx, admin_web, staff_web, tech):
    visit = completed_visit(ctx, tech)
    url = f"{CHANGELIST}{visit.pk}/change/"
    staff_page = staff_web.get(url)
    assert 'name="_save"' not in staff_page.content.decode()
    assert staff_web.post(url, {"customer_notes": "x"}).status_code == 403
    form = admin_web.get(url).context["adminform"].form
    assert set(form.fields) == {"customer_notes", "office_notes", "checklist"}
    response = admin_web.post(
        url,
        {
            "customer_notes": "Filter cleaned; pH lowered.",
            "office_notes": "",
            "checklist": '[{"task": "brush", "done": true}]',
        },
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.customer_notes == "Filter cleaned; pH lowered."
    assert visit.checklist == [{"task": "brush", "done": True}]
    assert events(visit) == ["correct"]
    # A checklist the service refuses: said on the page, nothing saved.
    refused = admin_web.post(
        url,
        {"customer_notes": "Changed", "office_notes": "", "checklist": '[{"task": ""}]'},
        follow=True,
    )
    assert any("checklist" in m.lower() for m in messages_of(refused)), messages_of(refused)
    visit.refresh_from_db()
    assert visit.customer_notes == "Filter cleaned; pH lowered."


def test_a_visit_under_way_is_read_only(ctx, admin_web, tech):
    (visit,) = route_of(tech, today(ctx), 1, status=VisitStatus.IN_PROGRESS)
    form = admin_web.get(f"{CHANGELIST}{visit.pk}/change/").context["adminform"].form
    assert set(form.fields) == set()


def test_cancel_selected_asks_the_reason_then_cancels(ctx, admin_web, tech):
    open_one, done = route_of(tech, today(ctx), 2)
    done.status, done.completed_at = VisitStatus.COMPLETED, timezone.now()
    done.save()
    selection = {"action": "cancel_selected", "_selected_action": [open_one.pk, done.pk]}
    page = admin_web.post(CHANGELIST, selection)
    assert page.status_code == 200 and "reason" in page.context["form"].fields
    response = admin_web.post(
        CHANGELIST, {**selection, "apply": "1", "reason": "Rain"}, follow=True
    )
    shown = messages_of(response)
    assert "Cancelled 1 visit." in shown
    assert any(m.startswith(f"{done}: ") and "completed" in m for m in shown), shown
    open_one.refresh_from_db()
    assert (open_one.status, open_one.cancel_reason) == ("cancelled", "Rain")


# --- plans: through the plan services; scheduling -------------------------------------------

PLANS = "/admin/operations/serviceplan/"


def plan_form(pool, tech, **changes) -> dict:
    return {
        "pool": pool.pk,
        "technician": tech.pk,
        "frequency": "weekly",
        "weekday": "2",
        "start_date": "2026-01-05",
        "end_date": "",
        "rate_type": "per_month",
        "rate": "160.00",
        "chemicals": "included",
        "billing_timing": "advance",
        "route_position": "3",
        "notes": "",
        **changes,
    }


def test_an_admin_adds_and_changes_a_plan_through_the_services(ctx, admin_web, tech):
    from audit.models import AuditEvent

    pool = PoolFactory()
    response = admin_web.post(f"{PLANS}add/", plan_form(pool, tech))
    assert response.status_code == 302, response.context["adminform"].form.errors
    plan = ServicePlan.objects.of(ctx).get()
    assert (plan.pool_id, plan.technician_id, plan.weekday, plan.rate) == (
        pool.pk,
        tech.pk,
        2,
        Decimal("160.00"),
    )
    url = f"{PLANS}{plan.pk}/change/"
    response = admin_web.post(url, plan_form(pool, tech, weekday="4", rate="175.00"))
    assert response.status_code == 302
    plan.refresh_from_db()
    assert (plan.weekday, plan.rate) == (4, Decimal("175.00"))
    recorded = AuditEvent.objects.filter(object_id=plan.pk, action__in=("create", "update"))
    assert recorded.count() == 2


def test_a_plan_the_service_refuses_shows_its_messages(ctx, admin_web, tech):
    pool = PoolFactory()
    response = admin_web.post(
        f"{PLANS}add/", plan_form(pool, tech, rate="-1", end_date="2026-01-01")
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["rate"] == ["Ensure this value is greater than or equal to 0."]
    assert "before the start date" in errors["end_date"][0]
    assert not ServicePlan.objects.of(ctx).exists()


def test_schedule_visits_for_a_range(ctx, admin_web, tech):
    plan = ServicePlanFactory(technician=tech, weekday=2, start_date=datetime.date(2026, 1, 5))
    selection = {"action": "schedule_visits", "_selected_action": [plan.pk]}
    page = admin_web.post(PLANS, selection)
    assert page.status_code == 200 and set(page.context["form"].fields) == {"date_from", "date_to"}
    too_long = admin_web.post(
        PLANS, {**selection, "apply": "1", "date_from": "2026-01-01", "date_to": "2026-03-31"}
    )
    assert "at most 62" in too_long.context["form"].errors["date_to"][0]
    assert not Visit.objects.of(ctx).exists()
    week = {**selection, "apply": "1", "date_from": "2026-01-12", "date_to": "2026-01-25"}
    done = admin_web.post(PLANS, week, follow=True)
    assert "Scheduled 2 visits from Jan 12, 2026 to Jan 25, 2026 (0 already there)." in (
        messages_of(done)
    )
    days = sorted(Visit.objects.of(ctx).values_list("scheduled_date", flat=True))
    assert days == [datetime.date(2026, 1, 14), datetime.date(2026, 1, 21)]
    again = admin_web.post(PLANS, week, follow=True)
    assert "Scheduled 0 visits from Jan 12, 2026 to Jan 25, 2026 (2 already there)." in (
        messages_of(again)
    )


def test_pause_and_resume_selected(ctx, admin_web, tech):
    plan = ServicePlanFactory(technician=tech)
    selection = {"action": "pause_selected", "_selected_action": [plan.pk]}
    assert "until" in admin_web.post(PLANS, selection).context["form"].fields
    paused = admin_web.post(PLANS, {**selection, "apply": "1", "until": ""}, follow=True)
    assert "Paused 1 service plan." in messages_of(paused)
    plan.refresh_from_db()
    assert plan.status == "paused"
    resumed = admin_web.post(
        PLANS, {"action": "resume_selected", "_selected_action": [plan.pk]}, follow=True
    )
    assert "Resumed 1 service plan." in messages_of(resumed)
    plan.refresh_from_db()
    assert plan.status == "active"


@pytest.mark.parametrize("page", [CHANGELIST, PLANS])
@pytest.mark.parametrize("value", ["abc", "99999999999999999999"])
def test_a_technician_that_is_no_id_is_a_bad_filter(admin_web, tech, page, value):
    # The last is past BIGINT: the database driver could not bind it (a 500 on SQLite).
    assert admin_web.get(page, {"technician": tech.pk}).status_code == 200
    response = admin_web.get(page, {"technician": value})
    assert response.status_code == 302 and response["Location"] == f"{page}?e=1"
