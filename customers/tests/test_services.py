"""Rules the services enforce for every caller (API, admin, commands)."""

from functools import partial

import pytest

from core.errors import ApplicationError, Conflict, NotFound
from customers import services
from customers.models import Customer
from customers.tests.factories import CustomerFactory, PropertyFactory
from ektor.services import conflict_on_integrity
from ektor.testing import run_at_once
from tenancy.tests.factories import default_company


@pytest.mark.django_db
def test_blank_optional_strings_are_stored_as_null(ctx):
    customer = services.customer_create(ctx, first_name="A", last_name="B", email="", phone=" ")
    customer.refresh_from_db()
    assert customer.email is None and customer.phone is None
    prop = services.property_create(
        ctx, customer_id=customer.pk, label="Casa", address1="1 Main St", city="", notes=""
    )
    prop.refresh_from_db()
    assert prop.city is None and prop.notes is None


@pytest.mark.django_db
def test_customers_without_email_do_not_collide(ctx):
    services.customer_create(ctx, first_name="A", last_name="B")
    services.customer_create(ctx, first_name="C", last_name="D", email="")
    assert Customer.unscoped.filter(email__isnull=True).count() == 2


@pytest.mark.django_db
def test_the_databases_duplicate_email_error_is_recognised():
    """The rules name the error text of this database (SQLite and MariaDB passes): a row the
    check did not see (a concurrent insert) is still a 409 duplicate_email."""
    CustomerFactory(email="x@example.com")
    with pytest.raises(Conflict) as refused, conflict_on_integrity(services.EMAIL_INTEGRITY_RULES):
        Customer.unscoped.create(
            company=default_company(), first_name="A", last_name="B", email="X@example.com"
        )
    assert refused.value.reason == "duplicate_email"


@pytest.mark.django_db
def test_create_and_replace_refuse_unknown_or_missing_fields(ctx):
    with pytest.raises(TypeError, match=r"unknown fields \['nickname'\], missing fields \['last"):
        services.customer_create(ctx, first_name="A", nickname="B")


@pytest.mark.django_db
def test_customer_update_with_nothing_is_refused(ctx):
    with pytest.raises(ApplicationError) as refused:
        services.customer_update(ctx, customer=CustomerFactory(), data={})
    assert (refused.value.status, refused.value.reason) == (400, "no_fields_to_update")


@pytest.mark.django_db
def test_duplicate_email_is_refused_case_insensitively(ctx):
    CustomerFactory(email="ana@example.com")
    with pytest.raises(Conflict) as refused:
        services.customer_create(ctx, first_name="A", last_name="B", email="ANA@example.com")
    assert refused.value.reason == "duplicate_email"


@pytest.mark.django_db
def test_property_of_an_unknown_customer_is_404(ctx):
    with pytest.raises(NotFound) as refused:
        services.property_create(ctx, customer_id=999999, label="Casa", address1="1 Main St")
    assert (refused.value.message, refused.value.reason) == (
        "Customer not found",
        "customer_not_found",
    )


@pytest.mark.django_db
def test_the_move_check_reads_the_stored_customer(ctx):
    """The admin sets the new customer on the instance before saving; the rule still holds."""
    from billing.tests.factories import InvoiceFactory

    prop = InvoiceFactory().property
    other = CustomerFactory()
    prop.customer = other  # as the admin's form does
    with pytest.raises(Conflict) as refused:
        services.property_replace(
            ctx, prop=prop, customer_id=other.pk, label=prop.label, address1=prop.address1
        )
    assert refused.value.reason == "property_has_invoices"


@pytest.mark.django_db
def test_deleting_a_customer_with_properties_names_them(ctx):
    customer = PropertyFactory().customer
    with pytest.raises(Conflict) as refused:
        services.customer_delete(ctx, customer=customer)
    assert refused.value.reason == "protected_by_references"
    assert refused.value.extra == {"references": {"properties": 1}}


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_with_one_email_give_one_customer_and_409s(ctx):
    """The check before the insert cannot see a concurrent insert; the unique index does,
    and its IntegrityError becomes the same 409 duplicate_email."""
    workers = 8

    def create(number: int) -> str:
        # Half of them in another case: the database compares emails case-insensitively.
        email = "Race@Example.com" if number % 2 else "race@example.com"
        services.customer_create(ctx, first_name=f"Twin{number}", last_name="Race", email=email)
        return "created"

    results = run_at_once(*[partial(create, n) for n in range(workers)])
    outcomes = [r.reason if isinstance(r, Conflict) else r for r in results]
    assert sorted(outcomes) == ["created"] + ["duplicate_email"] * (workers - 1)
    assert Customer.unscoped.filter(email__iexact="race@example.com").count() == 1


@pytest.mark.django_db
def test_property_label_and_address_minimums_hold_for_every_caller(ctx):
    from core.errors import InvalidInput
    from customers.services import property_create

    customer = CustomerFactory()
    with pytest.raises(InvalidInput) as refused:
        property_create(ctx, customer_id=customer.pk, label="P", address1="St")
    assert [e.field for e in refused.value.fields] == ["label", "address1"]
    assert not customer.properties.exists()
