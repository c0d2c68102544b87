import factory

from customers.models import Customer, Property
from tenancy.tests.factories import default_company


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    company = factory.LazyFunction(default_company)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    phone = factory.Sequence(lambda n: f"787-555-{n:04d}")


class PropertyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Property

    customer = factory.SubFactory(CustomerFactory)
    company = factory.SelfAttribute("customer.company")
    label = factory.Sequence(lambda n: f"Residence {n}")
    address1 = factory.Sequence(lambda n: f"{100 + n} Ocean View St")
    city = "Rincon"
    state = "PR"
    postal_code = "00677"
