"""The stock rules under concurrent requests and the SKU index, on MariaDB (real row locks,
CHECK constraints and the case-insensitive collation)."""

from collections import Counter
from decimal import Decimal
from functools import partial

import pytest
from django.db import IntegrityError, transaction

from catalog import services
from catalog.models import Item, StockMovement
from catalog.tests.factories import ItemFactory, stocked
from core.errors import ApplicationError
from ektor.testing import run_at_once

pytestmark = [pytest.mark.mariadb, pytest.mark.django_db(transaction=True)]


def outcomes(results) -> Counter:
    def outcome(result) -> str:
        if isinstance(result, ApplicationError):
            return f"{result.status} {result.reason} {result.extra}"
        if isinstance(result, Exception):
            raise result
        return "ok"

    return Counter(outcome(r) for r in results)


def test_twenty_usages_of_one_on_ten_in_stock(ctx):
    item = stocked(ctx, 10, sku="TAB")
    use = partial(services.stock_use, ctx, item=item, quantity=Decimal("1"))
    results = outcomes(run_at_once(*[use] * 20))
    refused = f"409 insufficient_stock {{'item_id': {item.pk}, 'available': '0.000'}}"
    assert results == {"ok": 10, refused: 10}
    item.refresh_from_db()
    assert item.stock_quantity == 0
    usage = StockMovement.objects.of(ctx).filter(kind="usage").order_by("stock_after")
    # Each success saw the stock the previous one left: 9, 8, ... 0, no two the same.
    assert [m.stock_after for m in usage] == list(range(10))


def test_twenty_usages_through_the_api(ctx, admin_user):
    """The same race through POST /stock-movements (adjustments of -1), each request in its
    own thread and connection."""
    from conftest import client_for

    item = stocked(ctx, 10, sku="NET")
    body = {"item_id": item.pk, "kind": "adjustment", "quantity": "-1"}
    # Signed in before the race (each its own session): the race is the movements only.
    clients = [client_for(admin_user) for _ in range(20)]

    def post(client):
        return client.post("/api/v1/stock-movements", body, format="json")

    responses = run_at_once(*[partial(post, client) for client in clients])
    errors = [r for r in responses if isinstance(r, Exception)]
    assert not errors, errors
    assert Counter(r.status_code for r in responses) == {201: 10, 409: 10}
    refused = [r.json() for r in responses if r.status_code == 409]
    assert {(e["details"]["reason"], e["details"]["item_id"]) for e in refused} == {
        ("insufficient_stock", item.pk)
    }
    assert {e["details"]["available"] for e in refused} == {"0.000"}
    item.refresh_from_db()
    assert item.stock_quantity == 0


def test_the_check_constraint_refuses_negative_stock(ctx):
    item = ItemFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Item.objects.of(ctx).filter(pk=item.pk).update(stock_quantity=Decimal("-1"))


def test_sku_unique_case_insensitively_ignoring_deleted_items(ctx):
    ItemFactory(sku="ABC")
    with pytest.raises(IntegrityError), transaction.atomic():
        ItemFactory(sku="abc")
    gone = ItemFactory(sku="XYZ")
    services.item_delete(ctx, item=gone)
    ItemFactory(sku="xyz")
    services.item_delete(ctx, item=Item.objects.of(ctx).get(sku="xyz", live=True))
    ItemFactory(sku="Xyz")
    with pytest.raises(IntegrityError), transaction.atomic():
        ItemFactory(sku="XYZ")


def test_a_concurrent_duplicate_sku_is_409(ctx):
    def create(n):
        return services.item_create(ctx, sku="RACE", name=f"Item {n}", kind="part", price=1)

    results = run_at_once(*[partial(create, n) for n in range(5)])
    assert Counter("ok" if isinstance(r, Item) else f"{r.status} {r.reason}" for r in results) == {
        "ok": 1,
        "409 duplicate_sku": 4,
    }
