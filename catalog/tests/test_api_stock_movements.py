"""The /stock-movements endpoints: the ledger's shape, its filters, the office's movements and
their refusals in the envelope."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog import services
from catalog.models import StockMovement
from catalog.tests.factories import ItemFactory, stocked
from customers.tests.test_api_customers import errors_at
from ektor.tests.test_errors import ISO_Z, assert_envelope

pytestmark = pytest.mark.django_db

URL = "/api/v1/stock-movements"
FIELDS = {
    "movement_id",
    "item_id",
    "kind",
    "quantity",
    "stock_after",
    "unit_cost",
    "visit_id",
    "note",
    "created_by",
    "created_at",
}


def test_post_records_a_receipt_with_who_made_it(admin_client_api, admin_user, ctx):
    item = ItemFactory(sku="CHL")
    body = {"item_id": item.pk, "kind": "receipt", "quantity": "12.5", "unit_cost": 3.1}
    response = admin_client_api.post(URL, body | {"note": "PO 77"}, format="json")
    assert response.status_code == 201, response.content
    movement = response.json()
    assert set(movement) == FIELDS
    assert (movement["kind"], movement["quantity"], movement["stock_after"]) == (
        "receipt",
        "12.500",
        "12.500",
    )
    assert (movement["unit_cost"], movement["note"], movement["visit_id"]) == (
        "3.10",
        "PO 77",
        None,
    )
    assert movement["created_by"] == admin_user.pk and ISO_Z.match(movement["created_at"])
    got = admin_client_api.get(f"{URL}/{movement['movement_id']}").json()
    assert got == movement
    assert admin_client_api.get(f"/api/v1/items/{item.pk}").json()["stock_quantity"] == "12.500"


def test_an_adjustment_below_zero_is_409_with_the_item_and_what_is_available(admin_client_api, ctx):
    item = stocked(ctx, "2.5", sku="PMP")
    body = {"item_id": item.pk, "kind": "adjustment", "quantity": "-3"}
    error = assert_envelope(admin_client_api.post(URL, body, format="json"), 409)
    assert error["message"] == "Not enough stock of PMP: 2.500 available, 3.000 needed"
    assert error["details"]["reason"] == "insufficient_stock"
    assert (error["details"]["item_id"], error["details"]["available"]) == (item.pk, "2.500")
    assert StockMovement.objects.of(ctx).count() == 1


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"kind": "usage", "quantity": "1"}, ["body", "kind"]),
        ({"kind": "receipt", "quantity": "-1"}, ["body", "quantity"]),
        ({"kind": "adjustment", "quantity": "0"}, ["body", "quantity"]),
        ({"kind": "receipt", "quantity": "1.0001"}, ["body", "quantity"]),
        ({"kind": "receipt", "quantity": "x"}, ["body", "quantity"]),
        ({"kind": "receipt", "quantity": "1", "unit_cost": "-1"}, ["body", "unit_cost"]),
        ({"kind": "receipt", "quantity": "1", "item_id": "7"}, ["body", "item_id"]),
    ],
)
def test_bad_movements_are_422(admin_client_api, body, loc):
    item = ItemFactory()
    response = admin_client_api.post(URL, {"item_id": item.pk} | body, format="json")
    assert errors_at(assert_envelope(response, 422)) == [loc]


def test_unknown_item_is_404_and_a_service_409(admin_client_api):
    body = {"item_id": 999999, "kind": "receipt", "quantity": "1"}
    missing = assert_envelope(admin_client_api.post(URL, body, format="json"), 404)
    assert missing["details"]["reason"] == "item_not_found"
    service = ItemFactory(kind="service", track_stock=False)
    refused = admin_client_api.post(URL, body | {"item_id": service.pk}, format="json")
    assert assert_envelope(refused, 409)["details"]["reason"] == "stock_not_tracked"


@pytest.fixture
def ledger(ctx):
    chlorine, tabs = stocked(ctx, 10, sku="CHL"), stocked(ctx, 5, sku="TAB")
    used = services.stock_use(ctx, item=chlorine, quantity=Decimal("2"), visit_id=17)
    old = services.stock_movement_create(
        ctx, item_id=tabs.pk, kind="adjustment", quantity=Decimal("-1")
    )
    # Made on an earlier day (stored as the service wrote it, then moved back in time).
    StockMovement.objects.of(ctx).filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=3)
    )
    return {"chlorine": chlorine, "tabs": tabs, "used": used, "old": old}


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["movement_id"] for row in response.json()]


def test_filters(staff_client_api, ledger, ctx):
    everything = ids(staff_client_api.get(URL))
    assert len(everything) == 4 and everything == sorted(everything, reverse=True)
    chlorine = ids(staff_client_api.get(URL, {"item_id": ledger["chlorine"].pk}))
    assert chlorine == [ledger["used"].pk, everything[-1]]
    assert ids(staff_client_api.get(URL, {"kind": "usage"})) == [ledger["used"].pk]
    assert ids(staff_client_api.get(URL, {"visit_id": 17})) == [ledger["used"].pk]
    today = timezone.localdate()
    earlier = (today - datetime.timedelta(days=3)).isoformat()
    assert ids(staff_client_api.get(URL, {"to_date": earlier})) == [ledger["old"].pk]
    assert ledger["old"].pk not in ids(staff_client_api.get(URL, {"from_date": today}))
    assert ids(staff_client_api.get(URL, {"from_date": earlier, "to_date": earlier})) == [
        ledger["old"].pk
    ]
    for name, bad in (("kind", "sale"), ("item_id", "-1"), ("from_date", "2026-13-01")):
        response = staff_client_api.get(URL, {name: bad})
        assert errors_at(assert_envelope(response, 422)) == [["query", name]], name


def test_list_query_count_is_fixed(staff_client_api, ctx, django_assert_num_queries):
    for _ in range(30):
        stocked(ctx, 1)
    # The session, the count, the page.
    with django_assert_num_queries(3):
        assert len(staff_client_api.get(URL).json()) == 30


def test_the_last_day_of_the_calendar_is_a_to_date_like_any_other(admin_client_api):
    response = admin_client_api.get("/api/v1/stock-movements", {"to_date": "9999-12-31"})
    assert response.status_code == 200 and response.json() == []
