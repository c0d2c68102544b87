"""Rules the service plan services enforce for every caller (API, admin, commands)."""

import datetime
from decimal import Decimal

import pytest

from accounts.models import Role
from accounts.tests.factories import UserFactory
from audit.models import AuditEvent
from core.errors import ApplicationError, Conflict, InvalidInput, NotFound
from operations import plans
from operations.models import PlanPause, ServicePlan
from operations.tests.factories import ServicePlanFactory
from pools.tests.factories import PoolFactory
from tenancy.tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def create(ctx, **fields):
    pool = fields.pop("pool", None) or PoolFactory()
    values = {"weekday": 2, "start_date": datetime.date(2026, 1, 5), "rate": Decimal("160.00")}
    return plans.plan_create(ctx, pool_id=pool.pk, **{**values, **fields})


def field_errors(exc: ApplicationError) -> dict[str, str]:
    return {error.field: error.msg for error in exc.fields}


def test_create_fills_the_defaults_and_is_active(ctx):
    plan = create(ctx, notes=" ")
    plan.refresh_from_db()
    assert (plan.frequency, plan.rate_type, plan.chemicals, plan.billing_timing) == (
        "weekly",
        "per_month",
        "included",
        "advance",
    )
    assert (plan.status, plan.paused_until, plan.end_date, plan.notes) == (
        "active",
        None,
        None,
        None,
    )
    assert plan.company == ctx.company and plan.technician_id is None


def test_create_refuses_bad_values_each_on_its_field(ctx):
    with pytest.raises(InvalidInput) as refused:
        create(
            ctx,
            weekday=7,
            rate=Decimal("-1"),
            frequency="daily",
            rate_type="per_year",
            chemicals="free",
            billing_timing="later",
            end_date=datetime.date(2026, 1, 4),
        )
    assert field_errors(refused.value) == {
        "weekday": "Ensure this value is between 0 (Monday) and 6 (Sunday).",
        "rate": "Ensure this value is greater than or equal to 0.",
        "frequency": "'daily' is not a valid choice: one of weekly, biweekly, every_4_weeks, "
        "monthly",
        "rate_type": "'per_year' is not a valid choice: one of per_month, per_visit",
        "chemicals": "'free' is not a valid choice: one of included, billed",
        "billing_timing": "'later' is not a valid choice: one of advance, arrears",
        "end_date": "The end date 2026-01-04 is before the start date 2026-01-05",
    }
    assert not ServicePlan.unscoped.exists()


def test_the_technician_is_an_active_technician_of_the_company(ctx):
    tech = UserFactory(role=Role.TECHNICIAN)
    assert create(ctx, technician_id=tech.pk).technician_id == tech.pk
    clerk = UserFactory(role=Role.STAFF)
    gone = UserFactory(role=Role.TECHNICIAN, is_active=False)
    elsewhere = UserFactory(role=Role.TECHNICIAN, company=CompanyFactory())
    for user in (clerk, gone, elsewhere):
        with pytest.raises(InvalidInput) as refused:
            create(ctx, technician_id=user.pk)
        assert field_errors(refused.value) == {
            "technician_id": f"User {user.pk} is not an active technician of this company"
        }


def test_a_pool_of_another_company_is_not_found(ctx):
    with pytest.raises(NotFound) as refused:
        create(ctx, pool=PoolFactory(property__customer__company=CompanyFactory()))
    assert (refused.value.message, refused.value.reason) == ("Pool not found", "pool_not_found")


def test_update_changes_the_given_fields_but_not_the_pool(ctx):
    plan = create(ctx, end_date=datetime.date(2026, 6, 30))
    plans.plan_update(ctx, plan=plan, data={"rate": Decimal("175.50"), "weekday": 4})
    plan.refresh_from_db()
    assert (plan.rate, plan.weekday) == (Decimal("175.50"), 4)
    with pytest.raises(InvalidInput) as refused:
        plans.plan_update(ctx, plan=plan, data={"pool_id": PoolFactory().pk})
    assert field_errors(refused.value) == {"pool_id": "This field cannot be changed here"}
    with pytest.raises(InvalidInput) as refused:
        plans.plan_update(ctx, plan=plan, data={"start_date": datetime.date(2027, 1, 1)})
    assert field_errors(refused.value) == {
        "end_date": "The end date 2026-06-30 is before the start date 2027-01-01"
    }
    plan.refresh_from_db()
    assert plan.start_date == datetime.date(2026, 1, 5)
    with pytest.raises(ApplicationError, match="No fields to update were given"):
        plans.plan_update(ctx, plan=plan, data={})


def test_pause_from_today_through_until_and_resume(ctx):
    today = ctx.company.today()
    plan = create(ctx)
    plans.plan_pause(ctx, plan=plan, until=today + 10 * DAY)
    plan.refresh_from_db()
    assert (plan.status, plan.paused_until) == ("paused", today + 10 * DAY)
    assert list(PlanPause.unscoped.values_list("starts_on", "ends_on")) == [
        (today, today + 10 * DAY)
    ]
    # Resumed the day it began: the pause never happened.
    plans.plan_resume(ctx, plan=plan)
    plan.refresh_from_db()
    assert (plan.status, plan.paused_until) == ("active", None)
    assert not PlanPause.unscoped.exists()


def test_resume_closes_an_open_pause_at_yesterday(ctx):
    today = ctx.company.today()
    plan = create(ctx)
    plans.plan_pause(ctx, plan=plan)
    assert plan.paused_until is None
    PlanPause.unscoped.update(starts_on=today - 5 * DAY)
    plans.plan_resume(ctx, plan=plan)
    assert list(PlanPause.unscoped.values_list("starts_on", "ends_on")) == [
        (today - 5 * DAY, today - DAY)
    ]


def test_transitions_that_make_no_sense_are_409(ctx):
    plan = create(ctx)
    with pytest.raises(Conflict) as refused:
        plans.plan_resume(ctx, plan=plan)
    assert (refused.value.message, refused.value.reason) == (
        f"Service plan {plan.pk} is active: it cannot resume it (active to active)",
        "invalid_transition",
    )
    assert refused.value.extra == {"from": "active", "to": "active"}
    plans.plan_pause(ctx, plan=plan)
    with pytest.raises(Conflict, match="is paused: it cannot pause it"):
        plans.plan_pause(ctx, plan=plan)
    plans.plan_end(ctx, plan=plan, end_date=datetime.date(2026, 2, 1))
    plan.refresh_from_db()
    assert (plan.status, plan.paused_until) == ("ended", None)
    for action in (plans.plan_pause, plans.plan_resume):
        with pytest.raises(Conflict, match="is ended"):
            action(ctx, plan=plan)
    with pytest.raises(Conflict, match=r"is ended: it cannot end it \(ended to ended\)"):
        plans.plan_end(ctx, plan=plan, end_date=datetime.date(2026, 3, 1))
    assert plans.can_plan_transition(ctx, plan=plan, action="end").reason == "invalid_transition"
    assert plans.can_plan_transition(ctx, plan=create(ctx), action="end") is None


def test_pause_until_before_today_is_422(ctx):
    today = ctx.company.today()
    with pytest.raises(InvalidInput) as refused:
        plans.plan_pause(ctx, plan=create(ctx), until=today - DAY)
    assert field_errors(refused.value) == {
        "until": f"until ({today - DAY}) is before today ({today})"
    }


def test_end_keeps_the_plan_active_until_the_date_is_past(ctx):
    today = ctx.company.today()
    plan = create(ctx, start_date=today - 30 * DAY)
    plans.plan_end(ctx, plan=plan, end_date=today)
    plan.refresh_from_db()
    assert (plan.status, plan.end_date) == ("active", today)
    assert plans.plans_status_refresh(ctx, today=today) == 0
    assert plans.plans_status_refresh(ctx, today=today + DAY) == 1
    plan.refresh_from_db()
    assert plan.status == "ended"
    event = AuditEvent.objects.filter(object_type="serviceplan", action="update").get()
    assert event.changes == {"status": ["active", "ended"]}
    with pytest.raises(InvalidInput) as refused:
        plans.plan_end(ctx, plan=create(ctx), end_date=datetime.date(2026, 1, 1))
    assert field_errors(refused.value) == {
        "end_date": "The end date 2026-01-01 is before the start date 2026-01-05"
    }


def test_an_ended_plan_keeps_its_end_date(ctx):
    plan = create(ctx)
    plans.plan_end(ctx, plan=plan, end_date=datetime.date(2026, 2, 1))
    with pytest.raises(Conflict, match="cannot move the end of it"):
        plans.plan_update(ctx, plan=plan, data={"end_date": datetime.date(2026, 3, 1)})
    plans.plan_update(ctx, plan=plan, data={"notes": "Sold the house"})


def test_refresh_ends_a_paused_plan_at_its_end_and_wakes_a_finished_pause(ctx):
    today = ctx.company.today()
    ending = create(ctx, start_date=today - 60 * DAY)
    plans.plan_pause(ctx, plan=ending)
    ServicePlan.unscoped.filter(pk=ending.pk).update(end_date=today - 2 * DAY)
    PlanPause.unscoped.update(starts_on=today - 10 * DAY)
    waking = create(ctx)
    plans.plan_pause(ctx, plan=waking, until=today)
    assert plans.plans_status_refresh(ctx, today=today + DAY) == 2
    ending.refresh_from_db()
    waking.refresh_from_db()
    assert (ending.status, ending.paused_until) == ("ended", None)
    assert (waking.status, waking.paused_until) == ("active", None)
    # The open pause closed with the plan's last day.
    assert PlanPause.unscoped.get(plan=ending).ends_on == today - 2 * DAY
    assert PlanPause.unscoped.get(plan=waking).ends_on == today


def test_refresh_touches_only_ctx_company(ctx):
    today = ctx.company.today()
    other = ServicePlanFactory(
        pool__property__customer__company=CompanyFactory(), end_date=today - 10 * DAY
    )
    ServicePlan.unscoped.filter(pk=other.pk).update(start_date=today - 20 * DAY)
    assert plans.plans_status_refresh(ctx) == 0
    assert ServicePlan.unscoped.get(pk=other.pk).status == "active"


def test_pausing_and_ending_cancel_the_visits_the_plan_no_longer_serves(ctx):
    """Visits already scheduled in a pause, or after the last day, are cancelled (each in the
    trail, with why); those before, under way or done stay as they are."""
    from operations import visits as visit_services
    from operations.tests.factories import VisitFactory

    today = ctx.company.today()
    day = datetime.timedelta(days=1)
    plan = ServicePlanFactory(start_date=today - 30 * day)
    past = VisitFactory(plan=plan, scheduled_date=today - day)
    in_pause = VisitFactory(plan=plan, scheduled_date=today + 2 * day)
    started = VisitFactory(plan=plan, scheduled_date=today + 3 * day)
    visit_services.visit_start(ctx, visit=started)
    after_pause = VisitFactory(plan=plan, scheduled_date=today + 10 * day)

    plans.plan_pause(ctx, plan=plan, until=today + 5 * day)
    statuses = {v.pk: v.status for v in plan.visits.all()}
    assert statuses == {
        past.pk: "scheduled",
        in_pause.pk: "cancelled",
        started.pk: "in_progress",
        after_pause.pk: "scheduled",
    }
    in_pause.refresh_from_db()
    assert in_pause.cancel_reason == "The service plan is paused"
    assert AuditEvent.objects.filter(
        object_type="visit", object_id=in_pause.pk, action="cancel"
    ).exists()

    plans.plan_resume(ctx, plan=plan)
    plans.plan_end(ctx, plan=plan, end_date=today + 9 * day)
    after_pause.refresh_from_db()
    assert (after_pause.status, after_pause.cancel_reason) == (
        "cancelled",
        "The service plan has ended",
    )


def test_a_deactivated_pools_plan_is_not_scheduled(ctx):
    from operations.scheduling import visits_schedule

    plan = ServicePlanFactory(weekday=2, start_date=datetime.date(2026, 1, 5))
    plan.pool.is_active = False
    plan.pool.save(update_fields=["is_active"])
    made = visits_schedule(
        ctx, date_from=datetime.date(2026, 1, 5), date_to=datetime.date(2026, 1, 31)
    )
    assert made["created"] == 0 and not plan.visits.exists()


def test_a_resume_brings_back_the_visits_the_pause_called_off(ctx):
    from operations.tests.factories import VisitFactory

    today = ctx.company.today()
    plan = ServicePlanFactory(start_date=today - datetime.timedelta(days=30))
    later = [
        VisitFactory(plan=plan, scheduled_date=today + datetime.timedelta(days=n)) for n in (2, 9)
    ]
    plans.plan_pause(ctx, plan=plan)
    assert {v.status for v in plan.visits.all()} == {"cancelled"}
    plans.plan_resume(ctx, plan=plan)
    assert [(v.status, v.cancel_reason) for v in plan.visits.order_by("scheduled_date")] == [
        ("scheduled", None),
        ("scheduled", None),
    ]
    assert AuditEvent.objects.filter(
        object_type="visit", object_id=later[0].pk, action="reschedule"
    ).exists()


def test_a_changed_plan_reaches_its_visits_still_to_come(ctx):
    """A new technician or route position moves onto the scheduled visits from today on; a new
    weekday removes them, and the next scheduling makes the new days."""
    from operations.scheduling import visits_schedule
    from operations.tests.factories import VisitFactory

    today = ctx.company.today()
    t1, t2 = (UserFactory(role=Role.TECHNICIAN) for _ in range(2))
    plan = ServicePlanFactory(start_date=today - datetime.timedelta(days=30), technician=t1)
    past = VisitFactory(plan=plan, scheduled_date=today - datetime.timedelta(days=7))
    coming = VisitFactory(plan=plan, scheduled_date=today + datetime.timedelta(days=7))
    plans.plan_update(ctx, plan=plan, data={"technician_id": t2.pk, "route_position": 4})
    past.refresh_from_db()
    coming.refresh_from_db()
    assert (past.technician_id, coming.technician_id, coming.route_position) == (t1.pk, t2.pk, 4)

    plans.plan_update(ctx, plan=plan, data={"weekday": (plan.weekday + 1) % 7})
    assert list(plan.visits.all()) == [past]
    assert AuditEvent.objects.filter(
        object_type="visit", object_id=coming.pk, action="delete"
    ).exists()
    made = visits_schedule(ctx, date_from=today, date_to=today + datetime.timedelta(days=13))
    plan.refresh_from_db()
    new = plan.visits.exclude(pk=past.pk)
    assert made["created"] == new.count() == 2
    assert {v.scheduled_date.weekday() for v in new} == {plan.weekday}


@pytest.mark.parametrize("field", ["start_date", "end_date"])
def test_dates_beyond_the_service_years_are_422_not_a_crash(ctx, field):
    from operations.scheduling import schedule_range_errors

    with pytest.raises(InvalidInput) as refused:
        create(ctx, **{field: datetime.date(9999, 12, 31)})
    assert field in field_errors(refused.value)
    plan = ServicePlanFactory()
    with pytest.raises(InvalidInput):
        plans.plan_end(ctx, plan=plan, end_date=datetime.date(9999, 12, 31))
    with pytest.raises(InvalidInput):
        plans.plan_pause(ctx, plan=plan, until=datetime.date(9999, 12, 31))
    late = datetime.date(9999, 12, 1)
    [error] = schedule_range_errors(ctx, date_from=late, date_to=late)
    assert error.field == "from"
