import factory

from customers.models import Customer, Property


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    phone = factory.Sequence(lambda n: f"787-555-{n:04d}")


class PropertyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Property

    customer = factory.SubFactory(CustomerFactory)
    label = factory.Sequence(lambda n: f"Residence {n}")
    address1 = factory.Sequence(lambda n: f"{100 + n} Ocean View St")
    city = "Rincon"
    state = "PR"
    postal_code = "00677"
