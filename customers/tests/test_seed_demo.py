"""manage.py seed_demo: the demo file's customers and properties, idempotently; --scale N."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from billing.models import Invoice, Payment
from core.context import Ctx
from customers.demo import synthetic_customers
from customers.models import Customer, Property
from customers.tests.factories import CustomerFactory, PropertyFactory
from ektor.management.commands.seed_demo import DEMO_FILE
from operations.models import ServicePlan, Visit
from pools.models import Pool
from tenancy.tests.factories import default_company

pytestmark = pytest.mark.django_db


def seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def snapshot() -> list:
    customers = Customer.unscoped.order_by("pk").values_list("pk", "email", "updated_at")
    properties = Property.unscoped.order_by("pk").values_list("pk", "label", "updated_at")
    return [list(customers), list(properties)]


def test_demo_data_loads_the_files_customers_and_properties():
    data = json.loads(DEMO_FILE.read_text())
    output = seed()
    assert "customers: 7 created, 0 kept" in output
    assert "properties: 8 created, 0 kept" in output
    assert Customer.unscoped.count() == len(data["customers"]) == 7
    assert Property.unscoped.count() == len(data["properties"]) == 8
    beach_house = Property.unscoped.select_related("customer").get(label="Jean Paul Beach House")
    assert beach_house.customer.email == "jean.paul@eps.com"
    assert (beach_house.city, beach_house.postal_code, beach_house.address2) == (
        "Rincon",
        "00677",
        None,
    )


def test_loading_twice_changes_nothing():
    seed()
    before = snapshot()
    output = seed()
    assert "customers: 0 created, 7 kept" in output
    assert "properties: 0 created, 8 kept" in output
    assert snapshot() == before


def test_edited_demo_rows_are_kept_as_edited():
    seed()
    Customer.unscoped.filter(email="martha.perez@eps.com").update(phone="787-000-0000")
    seed()
    assert Customer.unscoped.get(email="martha.perez@eps.com").phone == "787-000-0000"


def test_an_unreadable_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read the demo data"):
        seed("--file", str(tmp_path / "missing.json"))


def test_scale_generates_customers_with_one_or_two_properties_in_batches():
    output = seed("--scale", "25", "--batch-size", "10")
    assert output.splitlines()[:3] == [
        "customers: 10/25 (10 created)",
        "customers: 20/25 (20 created)",
        "customers: 25/25 (25 created)",
    ]
    assert synthetic_customers(Ctx.system(default_company())).count() == 25
    counts = {c.properties.count() for c in synthetic_customers(Ctx.system(default_company()))}
    assert counts <= {1, 2} and Property.unscoped.count() >= 25


def synthetic_rows() -> list:
    customers = synthetic_customers(Ctx.system(default_company())).order_by("email")
    return [
        (c.email, c.first_name, c.last_name, c.phone, *c.properties.values_list("label", "city"))
        for c in customers
    ]


def test_scale_says_how_many_customers_in_words_that_agree():
    assert seed("--scale", "1").splitlines()[-1] == "Volume data ready: 1 customer"
    assert seed("--scale", "2").splitlines()[-1] == "Volume data ready: 2 customers"


def test_scale_is_idempotent_and_tops_up():
    seed("--scale", "5")
    first = snapshot()
    assert "(0 created)" in seed("--scale", "5")
    assert snapshot() == first
    seed("--scale", "8", "--batch-size", "3")
    assert synthetic_customers(Ctx.system(default_company())).count() == 8
    assert snapshot()[0][:5] == first[0]


def test_scale_is_deterministic_whatever_the_batches():
    seed("--scale", "12", "--batch-size", "5")
    rows = synthetic_rows()
    # Volume invoices and payments (billing.demo), pools (pools.demo) and their plans and
    # visits (operations.demo) reference the properties: PROTECT.
    Visit.unscoped.all().delete()
    ServicePlan.unscoped.all().delete()
    Payment.unscoped.all().delete()
    Invoice.unscoped.all().delete()
    Pool.unscoped.all().delete()
    Property.unscoped.all().delete()
    Customer.unscoped.all().delete()
    seed("--scale", "12", "--batch-size", "12")
    assert synthetic_rows() == rows


@pytest.mark.parametrize("args", [("--scale", "0"), ("--batch-size", "0")])
def test_bad_numbers_are_refused(args):
    with pytest.raises(CommandError):
        seed(*args)


def test_an_office_property_named_like_a_demo_one_is_not_mistaken_for_it():
    other = CustomerFactory(email="someone.else@example.com")
    PropertyFactory(customer=other, label="Martha Residence")
    seed()
    martha = Property.unscoped.get(customer__email="martha.perez@eps.com", label="Martha Residence")
    assert martha.invoices.get().status == "paid"
    assert not Property.unscoped.get(customer=other).invoices.exists()
