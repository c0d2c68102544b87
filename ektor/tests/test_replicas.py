"""Read replicas against a real MariaDB primary and replica (scripts/test.sh starts both, the
replica replicating the primary; DATABASE_REPLICA_URLS names it, MARIADB_REPLICA_ADMIN_URL is
its admin account, with which these tests stop and delay its replication).

The replica holds the test database because replication brought it (its alias is a test
MIRROR of default: same NAME, its own server). Writes here commit (transactional tests), since
a replica never sees a transaction that rolls back.
"""

import os
import time
from contextlib import contextmanager
from urllib.parse import urlparse

import MySQLdb
import pytest
from django.db import connections, router, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from accounts.tests.factories import UserFactory
from billing.tests.conftest import make_invoice
from catalog.tests.factories import ItemFactory
from conftest import client_for
from customers.models import Customer
from customers.tests.factories import CustomerFactory, PropertyFactory
from ektor.db.router import forget_replica_states, replica_read
from ektor.testing import free_port

ADMIN_URL = os.environ.get("MARIADB_REPLICA_ADMIN_URL", "")

pytestmark = [
    pytest.mark.mariadb,
    pytest.mark.django_db(transaction=True, databases="__all__"),
    pytest.mark.skipif(
        not ADMIN_URL,
        reason="needs a MariaDB replica (MARIADB_REPLICA_ADMIN_URL): scripts/test.sh starts one",
    ),
]
REPLICA = "replica_1"
CUSTOMERS = "/api/v1/customers"


def replica_sql(*statements: str) -> None:
    """Run statements on the replica as its admin (replication control)."""
    url = urlparse(ADMIN_URL)
    conn = MySQLdb.connect(
        host=url.hostname, port=url.port, user=url.username, password=url.password
    )
    try:
        with conn.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    finally:
        conn.close()


def caught_up() -> None:
    """Wait until the replica has applied everything the primary has committed."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT @@gtid_binlog_pos")
        (position,) = cursor.fetchone()
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT MASTER_GTID_WAIT(%s, 20)", [position])
        assert cursor.fetchone() == (0,), "the replica did not catch up in 20 s"


def delay_replication(seconds: int) -> None:
    replica_sql("STOP SLAVE", f"CHANGE MASTER TO MASTER_DELAY={seconds}", "START SLAVE")


@pytest.fixture
def replicas(settings):
    """Routing on, the replica's state asked on every read, replication running afterwards."""
    settings.DATABASE_REPLICAS = settings.TEST_DATABASE_REPLICAS
    settings.REPLICA_CHECK_SECONDS = 0
    settings.REPLICA_MAX_LAG_SECONDS = 10
    settings.REPLICA_PIN_SECONDS = 60
    forget_replica_states()
    yield settings
    delay_replication(0)
    caught_up()
    forget_replica_states()


def tables_read(queries: CaptureQueriesContext) -> set[str]:
    sql = " ".join(query["sql"] for query in queries.captured_queries)
    return {table for table in ("customers_customer", "billing_invoice") if table in sql}


def read_on_each(request):
    """(the response, the tables read on the primary, the tables read on the replica)."""
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections[REPLICA]) as replica,
    ):
        response = request()
    return response, tables_read(primary), tables_read(replica)


def names(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["last_name"] for row in response.json()}


def test_lists_statements_and_changelists_read_from_the_replica(replicas, staff_user):
    invoice = make_invoice(prop=PropertyFactory(customer__last_name="Rosa"), issued="2026-01-05")
    api = client_for(staff_user)
    web = Client()
    web.force_login(staff_user)
    caught_up()

    response, primary, replica = read_on_each(lambda: api.get(CUSTOMERS))
    assert names(response) == {"Rosa"}
    # A count the cache does not hold yet is counted on the primary (it is kept, so it must
    # not be a replica's older one); the page is read on the replica.
    assert (primary, replica) == ({"customers_customer"}, {"customers_customer"})
    response, primary, replica = read_on_each(lambda: api.get(CUSTOMERS))
    assert names(response) == {"Rosa"}
    assert (primary, replica) == (set(), {"customers_customer"})

    statement = f"/api/v1/reports/customers/{invoice.customer_id}/statement"
    response, primary, replica = read_on_each(
        lambda: api.get(statement, {"from": "2026-01-01", "to": "2026-01-31"})
    )
    assert response.status_code == 200, response.content
    assert response.json()["total"] == "100.00"
    # The statement's prepared queries (ektor/db/prepared.py) compile for the replica too.
    assert (primary, replica) == (set(), {"customers_customer", "billing_invoice"})

    response, primary, replica = read_on_each(lambda: web.get("/admin/customers/customer/"))
    assert response.status_code == 200
    assert "Rosa" in response.content.decode()
    assert "customers_customer" not in primary and "customers_customer" in replica

    # A single customer is no list: read from the primary.
    response, primary, replica = read_on_each(lambda: api.get(f"{CUSTOMERS}/{invoice.customer_id}"))
    assert response.json()["last_name"] == "Rosa"
    assert (primary, replica) == ({"customers_customer"}, set())


def test_a_delayed_replica_serves_lists_without_the_newest_rows(replicas, staff_user):
    CustomerFactory(last_name="Old")
    api = client_for(staff_user)
    caught_up()
    delay_replication(3600)
    CustomerFactory(last_name="New")  # written by someone else: this user is not pinned
    assert names(api.get(CUSTOMERS)) == {"Old"}


def test_what_is_kept_is_read_on_the_primary(replicas, staff_user):
    """The catalog's cached page outlives a replica's lag, so it is filled from the primary;
    so is a count the cache keeps."""
    api = client_for(staff_user)
    caught_up()
    delay_replication(3600)
    ItemFactory(name="Fresh chlorine")  # written by someone else: this user is not pinned
    response = api.get("/api/v1/items")
    assert response.status_code == 200, response.content
    assert [item["name"] for item in response.json()] == ["Fresh chlorine"]
    assert response["X-Total-Count"] == "1"


def test_a_writer_reads_its_own_writes_from_the_primary_then_the_replica(replicas, admin_user):
    writer, reader = client_for(admin_user), client_for(UserFactory(role=Role.STAFF))
    CustomerFactory(last_name="Old")
    caught_up()
    delay_replication(3600)

    response, primary, replica = read_on_each(
        lambda: writer.post(
            CUSTOMERS, {"first_name": "Ana", "last_name": "New", "email": "ana@example.com"}
        )
    )
    assert response.status_code == 201, response.content
    assert "customers_customer" in primary and replica == set()  # the write, on the primary

    assert names(writer.get(CUSTOMERS)) == {"Old", "New"}  # pinned to the primary
    assert names(reader.get(CUSTOMERS)) == {"Old"}  # the replica, still behind

    replicas.REPLICA_PIN_SECONDS = 1
    writer.post(CUSTOMERS, {"first_name": "Eva", "last_name": "Newer", "email": "e@example.com"})
    assert names(writer.get(CUSTOMERS)) == {"Old", "New", "Newer"}
    time.sleep(1.5)  # the pin ends: the writer reads from the replica again
    assert names(writer.get(CUSTOMERS)) == {"Old"}


def test_reads_inside_a_transaction_go_to_the_primary(replicas, staff_user):
    def where():
        return router.db_for_read(Customer)

    assert replica_read(staff_user, where) == REPLICA
    with transaction.atomic():
        assert replica_read(staff_user, where) == "default"
    assert router.db_for_write(Customer) == "default"
    assert where() == "default"  # outside replica_read


def test_a_lagging_replica_is_skipped_and_shown_lagging(replicas, staff_user, anon_client):
    api = client_for(staff_user)
    CustomerFactory(last_name="Old")
    caught_up()
    delay_replication(3600)
    # Committed two minutes ago as the binlog tells it: the replica waits to apply it, and
    # reports itself two minutes behind.
    with connections["default"].cursor() as cursor:
        cursor.execute("SET TIMESTAMP = UNIX_TIMESTAMP() - 120")
        CustomerFactory(last_name="New")
        cursor.execute("SET TIMESTAMP = DEFAULT")
    deadline = time.monotonic() + 10
    while (health := anon_client.get("/health").json())["replicas"][0]["status"] == "ok":
        assert time.monotonic() < deadline, health
        time.sleep(0.2)
    assert health["status"] == "ok"  # the primary serves: the installation is healthy
    (shown,) = health["replicas"]
    assert shown["name"] == REPLICA and shown["status"] == "lagging"
    assert 110 <= shown["lag_seconds"] <= 200

    response, primary, replica = read_on_each(lambda: api.get(CUSTOMERS))
    assert names(response) == {"Old", "New"}
    assert (primary, replica) == ({"customers_customer"}, set())


def test_a_stopped_replica_is_skipped_and_shown_stopped(replicas, staff_user, anon_client):
    api = client_for(staff_user)
    CustomerFactory(last_name="Old")
    caught_up()
    replica_sql("STOP SLAVE")
    try:
        CustomerFactory(last_name="New")
        assert anon_client.get("/health").json()["replicas"] == [
            {"name": REPLICA, "status": "stopped", "lag_seconds": None}
        ]
        assert names(api.get(CUSTOMERS)) == {"Old", "New"}
    finally:
        replica_sql("START SLAVE")


@contextmanager
def replica_gone():
    """The replica's address points at a port nobody listens on (a server that went away)."""
    connection = connections[REPLICA]
    port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = free_port()
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["PORT"] = port


def test_a_replica_that_fails_is_skipped_and_shown_unavailable(replicas, staff_user, anon_client):
    api = client_for(staff_user)
    CustomerFactory(last_name="Rosa")
    caught_up()
    assert anon_client.get("/health").json()["replicas"] == [
        {"name": REPLICA, "status": "ok", "lag_seconds": 0}
    ]
    replicas.REPLICA_CHECK_SECONDS = 3600
    assert names(api.get(CUSTOMERS)) == {"Rosa"}  # read from the replica, known good

    # It goes away while this process still believes it good: the read fails there, the
    # replica is asked again, and the list is read again from the primary.
    with replica_gone():
        with CaptureQueriesContext(connections["default"]) as primary:
            response = api.get(CUSTOMERS)
        assert names(response) == {"Rosa"}
        assert "customers_customer" in tables_read(primary)
        body = anon_client.get("/health").json()
        assert body["status"] == "ok"
        assert body["replicas"] == [{"name": REPLICA, "status": "unavailable", "lag_seconds": None}]
