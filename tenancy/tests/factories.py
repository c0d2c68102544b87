import factory

from tenancy.models import Company


def default_company() -> Company:
    """The company the tests' rows belong to unless they say otherwise: the first one, which
    the migrations create (and a flushed database gets back here)."""
    company = Company.objects.order_by("id").first()
    return company or Company.objects.create(slug="main", name="My pool company")


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    slug = factory.Sequence(lambda n: f"company-{n}")
    name = factory.Sequence(lambda n: f"Pool company {n}")
