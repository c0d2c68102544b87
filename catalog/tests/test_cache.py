"""Item lists and items from a real Redis server: a read after a write sees it, in this process
and in another one (each process its own connections to the database and to Redis)."""

import json
import textwrap

import pytest
import redis
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog import services
from catalog.tests.factories import stocked
from ektor.testing import PRODUCTION_ENV, run_django

URL = "/api/v1/items"


def catalog_keys(redis_url: str) -> list[bytes]:
    return redis.Redis.from_url(redis_url).keys("*catalog:items:*")


@pytest.mark.django_db
def test_reads_are_served_from_redis_and_writes_retire_them(redis_cache, staff_client_api, ctx):
    item = stocked(ctx, 4, sku="CHL", price="6.50")
    path = f"{URL}/{item.pk}"
    assert staff_client_api.get(path).json()["price"] == "6.50"
    assert staff_client_api.get(URL).json()[0]["stock_quantity"] == "4.000"
    # The version and the two answers.
    assert len(catalog_keys(redis_cache)) == 3
    with CaptureQueriesContext(connection) as queries:
        assert staff_client_api.get(path).json()["price"] == "6.50"
        staff_client_api.get(URL)
    assert not [q for q in queries if "catalog_item" in q["sql"]]
    services.item_update(ctx, item=item, data={"price": "7.25"})
    assert staff_client_api.get(path).json()["price"] == "7.25"
    assert staff_client_api.get(URL).json()[0]["price"] == "7.25"
    services.stock_use(ctx, item=item, quantity=1)
    assert staff_client_api.get(path).json()["stock_quantity"] == "3.000"
    assert staff_client_api.get(URL).json()[0]["stock_quantity"] == "3.000"
    services.item_delete(ctx, item=item)
    assert staff_client_api.get(path).status_code == 404
    assert staff_client_api.get(URL).json() == []


# Each step runs in a fresh interpreter against the shared database and Redis, as one server
# process of a deployment; it prints what it read as JSON.
PRELUDE = """
import json
import django
django.setup()
from django.db import connection
from django.test.utils import CaptureQueriesContext
from accounts.models import User
from conftest import client_for
"""

STEP_CREATE = """
from decimal import Decimal
from accounts.tests.factories import UserFactory
from catalog import services
from core.context import Ctx
from tenancy.tests.factories import default_company
user = UserFactory(username="boss", role="admin", company__is_owner=True)
ctx = Ctx.system(default_company())
item = services.item_create(
    ctx, sku="CHL-1", name="Chlorine", kind="chemical", price=Decimal("6.50"), track_stock=True
)
client = client_for(user)
got = client.get(f"/api/v1/items/{item.pk}").json()
listed = client.get("/api/v1/items").json()
print(json.dumps({"item_id": item.pk, "price": got["price"], "listed": listed[0]["price"]}))
"""

STEP_READ = """
client = client_for(User.objects.get(username="boss"))
with CaptureQueriesContext(connection) as queries:
    got = client.get(f"/api/v1/items/{ITEM}").json()
    listed = client.get("/api/v1/items").json()
item_queries = [q["sql"] for q in queries if "catalog_item" in q["sql"]]
print(json.dumps({"price": got["price"], "stock": got["stock_quantity"],
                  "listed": [listed[0]["price"], listed[0]["stock_quantity"]],
                  "item_queries": len(item_queries)}))
"""

STEP_WRITE = """
client = client_for(User.objects.get(username="boss"))
patched = client.patch(f"/api/v1/items/{ITEM}", {"price": "12.00"}, format="json")
moved = client.post(
    "/api/v1/stock-movements", {"item_id": ITEM, "kind": "receipt", "quantity": "5"},
    format="json",
)
print(json.dumps({"patched": patched.status_code, "moved": moved.status_code}))
"""


def step(code: str, database_url: str, redis_url: str, **values) -> dict:
    for name, value in values.items():
        code = code.replace(name, str(value))
    result = run_django(
        textwrap.dedent(PRELUDE) + textwrap.dedent(code),
        **PRODUCTION_ENV,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_write_in_one_process_is_read_in_another(worker_database, redis_server):
    redis.Redis.from_url(redis_server).flushdb()
    created = step(STEP_CREATE, worker_database, redis_server)
    item = created["item_id"]
    assert created["price"] == created["listed"] == "6.50"
    # A second process reads what the first stored in Redis: no query of the items.
    cached = step(STEP_READ, worker_database, redis_server, ITEM=item)
    assert cached == {
        "price": "6.50",
        "stock": "0.000",
        "listed": ["6.50", "0.000"],
        "item_queries": 0,
    }
    # A third changes the price and receives stock; a fourth reads the new values at once.
    assert step(STEP_WRITE, worker_database, redis_server, ITEM=item) == {
        "patched": 200,
        "moved": 201,
    }
    fresh = step(STEP_READ, worker_database, redis_server, ITEM=item)
    assert fresh["price"] == "12.00" and fresh["stock"] == "5.000"
    assert fresh["listed"] == ["12.00", "5.000"]
    # Read from the database again: the item, and the list's count and page.
    assert fresh["item_queries"] == 3
