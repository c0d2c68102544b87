"""What billing needs of operations' rows beyond operations/tests/factories.py: completed,
skipped and work-order visits, their lines, a plan's pauses. Raw rows (operations' services
are built elsewhere): billing reads what they leave."""

import datetime

import factory
from django.utils import timezone

from catalog.tests.factories import ItemFactory
from operations.models import PlanPause, Visit, VisitKind, VisitLine, VisitStatus
from operations.tests.factories import ServicePlanFactory, VisitFactory


def completed(plan, day: datetime.date) -> Visit:
    return VisitFactory(
        plan=plan, scheduled_date=day, status=VisitStatus.COMPLETED, completed_at=timezone.now()
    )


def skipped(plan, day: datetime.date, reason: str = "gate_locked") -> Visit:
    return VisitFactory(
        plan=plan, scheduled_date=day, status=VisitStatus.SKIPPED, skip_reason=reason
    )


def work_order(prop, day: datetime.date, status: str = VisitStatus.COMPLETED) -> Visit:
    return VisitFactory(
        plan=None,
        kind=VisitKind.WORK_ORDER,
        property=prop,
        customer=prop.customer,
        technician=None,
        company=prop.company,
        scheduled_date=day,
        status=status,
        completed_at=timezone.now() if status == VisitStatus.COMPLETED else None,
        title="Repair",
    )


class VisitLineFactory(factory.django.DjangoModelFactory):
    """A line as completing the visit leaves it: the item's name, price and taxability."""

    class Meta:
        model = VisitLine

    visit = factory.SubFactory(VisitFactory)
    company = factory.SelfAttribute("visit.company")
    item = factory.SubFactory(ItemFactory)
    description = factory.SelfAttribute("item.name")
    quantity = 1
    unit_price = factory.SelfAttribute("item.price")
    taxable = factory.SelfAttribute("item.taxable")


def paused(plan, starts_on: datetime.date, ends_on: datetime.date | None = None) -> PlanPause:
    return PlanPause.objects.create(
        company=plan.company, plan=plan, starts_on=starts_on, ends_on=ends_on
    )


__all__ = ["ServicePlanFactory", "VisitFactory"]
