"""manage.py seed_demo: every demo pool gets a weekly plan and a few weeks of completed visits
(through the services); --scale gives every synthetic pool a plan and a month of visits."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from accounts.models import User
from audit.models import AuditEvent
from catalog.models import StockMovement
from operations.dashboard import week_start
from operations.demo import DEMO_WEEKS
from operations.models import Reading, ServicePlan, Visit, VisitLine
from pools.models import Pool
from tenancy.models import Company
from tenancy.scoping import company_today

pytestmark = pytest.mark.django_db


def seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_every_demo_pool_gets_a_weekly_plan_and_weeks_of_visits(ctx):
    output = seed()
    assert "service plans: 15 created, 0 kept" in output
    plans = ServicePlan.unscoped.all()
    assert plans.count() == Pool.unscoped.count() == 15
    assert set(plans.values_list("frequency", flat=True)) == {"weekly"}
    # The file's technician is made a member (no usable password yet) and serves them.
    tech = User.objects.get(email="ektor.gonzalez@eps.com")
    assert (tech.get_full_name(), tech.has_usable_password()) == ("Ektor Gonzalez", False)
    assert set(plans.values_list("technician_id", flat=True)) == {tech.pk}
    # Martha's file visit was on a Wednesday: so is her plan.
    assert plans.get(pool__property__label="Martha Residence").weekday == 2
    today = company_today(ctx)
    past = Visit.unscoped.filter(scheduled_date__lt=today)
    done = past.filter(status="completed")
    assert done.count() + past.filter(status="skipped").count() == past.count()
    assert done.count() >= 15 * DEMO_WEEKS * 0.8
    assert not Visit.unscoped.filter(scheduled_date__gte=today).exclude(status="scheduled")
    assert (
        Visit.unscoped.filter(
            scheduled_date__lt=week_start(today) - datetime.timedelta(weeks=DEMO_WEEKS)
        ).count()
        == 0
    )
    # Each completed visit has its pool's reading (done on its day) and its chlorine.
    readings = Reading.unscoped.filter(visit__in=done)
    assert readings.count() == done.count()
    for reading in readings.select_related("visit")[:10]:
        assert reading.created_at.date() == reading.visit.scheduled_date
        assert reading.lsi is not None
    flagged = [r for r in readings if r.flags]
    assert 0 < len(flagged) < readings.count()
    lines = VisitLine.unscoped.filter(visit__in=done)
    assert lines.filter(description="Liquid chlorine 12.5%").count() == done.count()
    assert StockMovement.objects.of(ctx).filter(kind="usage").count() == lines.count()
    # Through the services: each completion is in the trail.
    assert AuditEvent.objects.filter(object_type="visit", action="complete").count() == (
        done.count()
    )
    # The made-up weeks email no report, and the company's setting stays as it was.
    assert not DBTaskResult.objects.filter(task_path="operations.tasks.send_visit_report")
    assert Company.objects.get().visit_report_email is True
    # Loading again changes nothing.
    before = list(Visit.unscoped.order_by("pk").values_list("pk", "status", "updated_at"))
    assert "service plans: 0 created, 15 kept" in seed()
    assert list(Visit.unscoped.order_by("pk").values_list("pk", "status", "updated_at")) == before


def test_scale_gives_every_synthetic_pool_a_plan_and_a_month_of_visits(ctx):
    output = seed("--scale", "10", "--batch-size", "7")
    pools = Pool.unscoped.count()
    assert f"service plans: {pools}/{pools} pools" in output
    assert ServicePlan.unscoped.count() == pools
    assert User.objects.filter(memberships__role="technician").count() == 12
    today = company_today(ctx)
    for plan in ServicePlan.unscoped.all()[:5]:
        visits = Visit.unscoped.filter(plan=plan)
        days = [v.scheduled_date for v in visits]
        assert {d.weekday() for d in days} == {plan.weekday}
        assert len(days) == DEMO_WEEKS + 1
        for visit in visits:
            assert visit.status == ("completed" if visit.scheduled_date < today else "scheduled")
    completed = Visit.unscoped.filter(status="completed")
    assert Reading.unscoped.filter(visit__in=completed).count() == completed.count()
    reading = Reading.unscoped.select_related("visit").first()
    assert reading.created_at == reading.visit.completed_at and reading.lsi is not None
    counts = (ServicePlan.unscoped.count(), Visit.unscoped.count(), Reading.unscoped.count())
    assert "(0 plans, 0 visits, 0 readings created)" in seed("--scale", "10")
    assert (
        ServicePlan.unscoped.count(),
        Visit.unscoped.count(),
        Reading.unscoped.count(),
    ) == counts
