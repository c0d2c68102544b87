"""X-Total-Count from the cached whole-table count stays exact through every kind of write."""

import io
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing import services
from billing.tests.conftest import make_invoice
from customers.models import Customer
from customers.tests.factories import CustomerFactory
from ektor.db import counts
from pools.tests.factories import PoolFactory
from tenancy.tests.factories import default_company

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers"


def total(client, **params) -> int:
    response = client.get(URL, params)
    assert response.status_code == 200
    return int(response["X-Total-Count"])


def counted_queries(client) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        total(client)
    return [q["sql"] for q in queries.captured_queries if "COUNT(*) AS" in q["sql"]]


def test_the_count_is_cached_and_follows_inserts_and_deletes(staff_client_api):
    CustomerFactory.create_batch(3)
    assert total(staff_client_api) == 3
    assert counted_queries(staff_client_api) == []  # served from the cache
    CustomerFactory()
    assert total(staff_client_api) == 4
    Customer.unscoped.filter(pk=Customer.unscoped.order_by("pk").first().pk).delete()
    assert total(staff_client_api) == 3
    Customer.unscoped.all().delete()  # a queryset delete sends post_delete per row
    assert total(staff_client_api) == 0


def test_bulk_inserts_report_their_rows(staff_client_api):
    assert total(staff_client_api) == 0
    company = default_company()
    Customer.unscoped.bulk_create([Customer(company=company, first_name="A", last_name="B")])
    counts.rows_changed(Customer, company.pk)
    assert total(staff_client_api) == 1


def test_a_count_stored_under_an_old_version_is_not_used(staff_client_api):
    CustomerFactory.create_batch(2)
    version_key, count_key = counts._keys(Customer, default_company().pk)
    cache.set(count_key, ("an-old-version", 99))
    assert total(staff_client_api) == 2
    cache.delete(version_key)  # e.g. evicted: a new version, and a fresh count
    assert total(staff_client_api) == 2


def test_filtered_lists_count_every_time(staff_client_api):
    CustomerFactory(first_name="Martha")
    CustomerFactory(first_name="Pedro")
    assert total(staff_client_api, q="martha") == 1
    with CaptureQueriesContext(connection) as queries:
        assert total(staff_client_api, q="pedro") == 1
    assert any("COUNT(*) AS" in q["sql"] for q in queries.captured_queries)


def test_payments_and_invoices_counts_follow_the_services(ctx, staff_client_api):
    invoice = make_invoice(total="50.00")
    assert int(staff_client_api.get("/api/v1/invoices")["X-Total-Count"]) == 1
    assert int(staff_client_api.get("/api/v1/payments")["X-Total-Count"]) == 0
    services.payment_record(ctx, invoice_id=invoice.pk, amount=Decimal("5.00"))
    make_invoice(total="20.00")
    assert int(staff_client_api.get("/api/v1/invoices")["X-Total-Count"]) == 2
    assert int(staff_client_api.get("/api/v1/payments")["X-Total-Count"]) == 1


def test_the_pool_list_is_counted_from_the_cache(staff_client_api):
    PoolFactory.create_batch(2)
    with CaptureQueriesContext(connection):
        assert int(staff_client_api.get("/api/v1/pools")["X-Total-Count"]) == 2
    with CaptureQueriesContext(connection) as queries:
        assert int(staff_client_api.get("/api/v1/pools")["X-Total-Count"]) == 2
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"]]
    PoolFactory()
    assert int(staff_client_api.get("/api/v1/pools")["X-Total-Count"]) == 3


def test_seed_demo_retires_the_counts_its_bulk_inserts_change(staff_client_api):
    assert total(staff_client_api) == 0  # a count of 0 is cached
    call_command("seed_demo", "--scale", "3", stdout=io.StringIO())
    assert total(staff_client_api) == 3
