"""visits_schedule: the visits of a company's running plans for a range, once each."""

import datetime

import pytest

from accounts.models import Role
from accounts.tests.factories import UserFactory
from audit.models import AuditEvent
from core.context import Ctx
from core.errors import InvalidInput
from ektor.testing import run_at_once
from operations import plans
from operations.models import PlanPause, ServicePlan, Visit
from operations.scheduling import visits_schedule
from operations.tests.factories import ServicePlanFactory, VisitFactory
from pools.tests.factories import PoolFactory
from tenancy.tests.factories import CompanyFactory

D = datetime.date
JAN = {"date_from": D(2026, 1, 1), "date_to": D(2026, 1, 31)}


def schedule(ctx, **range_):
    return visits_schedule(ctx, **(range_ or JAN))


def pairs(**filters):
    return sorted(Visit.unscoped.filter(**filters).values_list("plan_id", "scheduled_date"))


@pytest.mark.django_db
def test_creates_each_plans_visits_with_its_pool_property_and_technician(ctx):
    tech = UserFactory(role=Role.TECHNICIAN)
    weekly = ServicePlanFactory(technician=tech, route_position=3)
    monthly = ServicePlanFactory(frequency="monthly", weekday=0)
    assert schedule(ctx) == {"created": 5, "existing": 0}
    wednesdays = [D(2026, 1, 7), D(2026, 1, 14), D(2026, 1, 21), D(2026, 1, 28)]
    assert pairs(plan=weekly) == [(weekly.pk, day) for day in wednesdays]
    assert pairs(plan=monthly) == [(monthly.pk, D(2026, 1, 5))]
    visit = Visit.unscoped.filter(plan=weekly).first()
    prop = weekly.pool.property
    assert (visit.kind, visit.status, visit.company_id) == ("route", "scheduled", ctx.company.pk)
    assert (visit.property_id, visit.customer_id) == (prop.pk, prop.customer_id)
    assert (visit.technician_id, visit.route_position) == (tech.pk, 3)


@pytest.mark.django_db
def test_a_second_run_creates_nothing_and_an_overlapping_one_only_the_new_days(ctx):
    plan = ServicePlanFactory()
    assert schedule(ctx) == {"created": 4, "existing": 0}
    assert schedule(ctx) == {"created": 0, "existing": 4}
    # A visit moved or done since stays as it is.
    Visit.unscoped.filter(scheduled_date=D(2026, 1, 28)).update(
        status="completed", completed_at=datetime.datetime(2026, 1, 28, 15, tzinfo=datetime.UTC)
    )
    later = {"date_from": D(2026, 1, 20), "date_to": D(2026, 2, 10)}
    assert schedule(ctx, **later) == {"created": 1, "existing": 2}
    assert len(pairs(plan=plan)) == 5
    assert Visit.unscoped.get(scheduled_date=D(2026, 1, 28)).status == "completed"


@pytest.mark.django_db
def test_pauses_end_dates_ended_plans_and_other_companies_are_skipped(ctx):
    paused = ServicePlanFactory(status="paused")
    PlanPause.unscoped.create(
        company=ctx.company, plan=paused, starts_on=D(2026, 1, 10), ends_on=D(2026, 1, 24)
    )
    ending = ServicePlanFactory(end_date=D(2026, 1, 15))
    ServicePlanFactory(status="ended", end_date=D(2026, 1, 10))
    ServicePlanFactory(pool=PoolFactory(property__customer__company=CompanyFactory()))
    # The range is in the past: the ending plan is ended by the refresh, and skipped.
    ServicePlanFactory(start_date=D(2026, 2, 1))
    visits_schedule(ctx, date_from=D(2026, 1, 1), date_to=D(2026, 1, 31))
    assert pairs(plan=paused) == [(paused.pk, D(2026, 1, 7)), (paused.pk, D(2026, 1, 28))]
    assert ServicePlan.unscoped.get(pk=ending.pk).status == "ended"
    assert pairs(plan=ending) == []
    assert Visit.unscoped.count() == 2


@pytest.mark.django_db
def test_a_plan_ending_later_gets_its_days_up_to_the_end(ctx):
    today = ctx.company.today()
    plan = ServicePlanFactory(start_date=today, weekday=today.weekday())
    plans.plan_end(ctx, plan=plan, end_date=today + datetime.timedelta(days=7))
    result = visits_schedule(ctx, date_from=today, date_to=today + datetime.timedelta(days=30))
    assert result == {"created": 2, "existing": 0}


@pytest.mark.django_db
def test_the_range_runs_forward_and_spans_at_most_62_days(ctx):
    ServicePlanFactory()
    with pytest.raises(InvalidInput) as refused:
        visits_schedule(ctx, date_from=D(2026, 1, 1), date_to=D(2026, 3, 4))
    assert [(e.field, e.msg) for e in refused.value.fields] == [
        ("to", "The range is 63 days; at most 62 are scheduled at once")
    ]
    with pytest.raises(InvalidInput) as refused:
        visits_schedule(ctx, date_from=D(2026, 1, 2), date_to=D(2026, 1, 1))
    assert [(e.field, e.msg) for e in refused.value.fields] == [
        ("to", "to (2026-01-01) is before from (2026-01-02)")
    ]
    assert visits_schedule(ctx, date_from=D(2026, 1, 1), date_to=D(2026, 3, 3))["created"] == 8
    assert not Visit.unscoped.filter(scheduled_date__gt=D(2026, 3, 3)).exists()


@pytest.mark.django_db
def test_every_created_visit_is_in_the_audit_trail(company):
    existing = VisitFactory(plan=ServicePlanFactory(), scheduled_date=D(2026, 1, 7))
    ctx = Ctx.for_user(UserFactory(role=Role.ADMIN), company, role=Role.ADMIN, request_id="r-1")
    before = AuditEvent.objects.count()
    visits_schedule(ctx, **JAN)
    events = AuditEvent.objects.filter(object_type="visit", action="create")
    created = set(Visit.unscoped.exclude(pk=existing.pk).values_list("pk", flat=True))
    assert {e.object_id for e in events} == created and len(created) == 3
    assert AuditEvent.objects.count() - before == 3
    event = events.first()
    assert event.request_id == "r-1"
    assert event.changes["scheduled_date"][0] is None
    assert event.changes["kind"] == [None, "route"]


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_two_runs_at_once_create_each_visit_once(company, attempt):
    for _ in range(30):
        ServicePlanFactory()
    overlapping = {"date_from": D(2026, 1, 15), "date_to": D(2026, 2, 15)}
    results = run_at_once(
        lambda: visits_schedule(Ctx.system(company), **JAN),
        lambda: visits_schedule(Ctx.system(company), **JAN),
        lambda: visits_schedule(Ctx.system(company), **overlapping),
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Visit.unscoped.count() == 30 * 6  # January's 4 Wednesdays and Feb 4, 11
    assert sum(r["created"] for r in results) == 30 * 6
    assert results[0]["created"] + results[0]["existing"] == 30 * 4
    events = AuditEvent.objects.filter(object_type="visit", action="create")
    assert sorted(events.values_list("object_id", flat=True)) == sorted(
        Visit.unscoped.values_list("pk", flat=True)
    )
