import datetime
from decimal import Decimal

import factory

from catalog.tests.factories import ItemFactory
from operations.models import Photo, Reading, ServicePlan, Visit, VisitKind, VisitLine
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


class ReadingFactory(factory.django.DjangoModelFactory):
    """A pool's water test at a visit (its flags as given: the completion computes them)."""

    class Meta:
        model = Reading

    visit = factory.SubFactory(VisitFactory)
    company = factory.SelfAttribute("visit.company")
    pool = factory.SelfAttribute("visit.plan.pool")
    free_chlorine = Decimal("3.00")
    ph = Decimal("7.50")
    total_alkalinity = Decimal("100.00")
    calcium_hardness = Decimal("250.00")
    cyanuric_acid = Decimal("40.00")
    temperature_f = Decimal("82.00")


class VisitLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VisitLine

    visit = factory.SubFactory(VisitFactory)
    company = factory.SelfAttribute("visit.company")
    item = factory.SubFactory(ItemFactory, company=factory.SelfAttribute("..company"))
    description = factory.SelfAttribute("item.name")
    quantity = Decimal("1.000")
    unit_price = factory.SelfAttribute("item.price")


class PhotoFactory(factory.django.DjangoModelFactory):
    """A photo row; its file names are made up (no file is stored): for the pages and the
    permissions, not for what is in the file."""

    class Meta:
        model = Photo

    visit = factory.SubFactory(VisitFactory)
    company = factory.SelfAttribute("visit.company")
    file_name = factory.Sequence(lambda n: f"visits/photo-{n}.jpg")
    content_type = "image/jpeg"
    width = 640
    height = 480
    size = 1000
