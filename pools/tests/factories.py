import factory

from customers.tests.factories import PropertyFactory
from pools.models import Equipment, Pool


class PoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pool

    property = factory.SubFactory(PropertyFactory)
    company = factory.SelfAttribute("property.company")
    name = factory.Sequence(lambda n: f"Pool {n}")
    volume_gallons = 15000


class EquipmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Equipment

    pool = factory.SubFactory(PoolFactory)
    company = factory.SelfAttribute("pool.company")
    kind = "pump"
    make = "Pentair"
    model = "IntelliFlo VSF"
    serial_number = factory.Sequence(lambda n: f"SN-{n:06d}")
