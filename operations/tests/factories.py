import datetime

import factory

from operations.models import ServicePlan, Visit, VisitKind
from pools.tests.factories import PoolFactory


class ServicePlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServicePlan

    pool = factory.SubFactory(PoolFactory)
    company = factory.SelfAttribute("pool.company")
    weekday = 2
    start_date = datetime.date(2026, 1, 5)
    rate = "160.00"


class VisitFactory(factory.django.DjangoModelFactory):
    """A route visit of a plan (its pool's property and customer) on the plan's next day."""

    class Meta:
        model = Visit

    plan = factory.SubFactory(ServicePlanFactory)
    company = factory.SelfAttribute("plan.company")
    kind = VisitKind.ROUTE
    property = factory.SelfAttribute("plan.pool.property")
    customer = factory.SelfAttribute("plan.pool.property.customer")
    technician = factory.SelfAttribute("plan.technician")
    scheduled_date = factory.Sequence(lambda n: datetime.date(2026, 1, 7) + datetime.timedelta(n))
