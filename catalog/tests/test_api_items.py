"""The /items endpoints: contract shape, every list parameter, strict input, SKU uniqueness,
the soft delete, the cache and the query counts."""

from decimal import Decimal

import pytest

from catalog import services
from catalog.models import Item, StockMovement
from catalog.tests.factories import ItemFactory, stocked
from customers.tests.test_api_customers import errors_at
from ektor.tests.test_errors import ISO_Z, assert_envelope

pytestmark = pytest.mark.django_db

URL = "/api/v1/items"
FIELDS = {
    "item_id",
    "sku",
    "name",
    "kind",
    "category",
    "description",
    "unit",
    "price",
    "cost",
    "taxable",
    "track_stock",
    "stock_quantity",
    "reorder_level",
    "is_active",
    "created_at",
    "updated_at",
}


def body(**overrides) -> dict:
    return {"sku": "CHL-1", "name": "Liquid chlorine", "kind": "chemical", "price": "6.50"} | (
        overrides
    )


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["item_id"] for row in response.json()]


# --- create, read, write -----------------------------------------------------------------


def test_create_answers_201_with_the_contract_fields(admin_client_api):
    response = admin_client_api.post(
        URL,
        body(unit="gal", cost="3.10", track_stock=True, reorder_level="4.5", category="Sanitizer"),
        format="json",
    )
    assert response.status_code == 201, response.content
    item = response.json()
    assert set(item) == FIELDS
    assert item["price"] == "6.50" and item["cost"] == "3.10"
    assert item["stock_quantity"] == "0.000" and item["reorder_level"] == "4.500"
    assert (item["unit"], item["kind"], item["category"]) == ("gal", "chemical", "Sanitizer")
    assert item["taxable"] is True and item["is_active"] is True and item["description"] == ""
    assert ISO_Z.match(item["created_at"])
    got = admin_client_api.get(f"{URL}/{item['item_id']}").json()
    assert got == item


def test_stock_quantity_is_read_only(admin_client_api):
    response = admin_client_api.post(URL, body(stock_quantity="99"), format="json")
    assert response.status_code == 201
    assert response.json()["stock_quantity"] == "0.000"


def test_a_negative_zero_price_is_zero_in_the_answer_and_the_trail(admin_client_api):
    response = admin_client_api.post(URL, body(price="-0", reorder_level=-0.0), format="json")
    assert response.status_code == 201, response.content
    item = response.json()
    assert (item["price"], item["reorder_level"]) == ("0.00", "0.000")
    (created,) = admin_client_api.get("/api/v1/audit-events", {"object_type": "item"}).json()
    assert created["changes"]["price"] == [None, "0.00"]


@pytest.mark.parametrize(
    ("overrides", "loc"),
    [
        ({"sku": ""}, ["body", "sku"]),
        ({"sku": "x" * 41}, ["body", "sku"]),
        ({"name": 5}, ["body", "name"]),
        ({"kind": "food"}, ["body", "kind"]),
        ({"unit": "ton"}, ["body", "unit"]),
        ({"price": "-1"}, ["body", "price"]),
        ({"price": "1.234"}, ["body", "price"]),
        ({"category": "c" * 61}, ["body", "category"]),
        ({"track_stock": "yes"}, ["body", "track_stock"]),
        ({"reorder_level": "1.2345"}, ["body", "reorder_level"]),
    ],
)
def test_bad_input_is_422(admin_client_api, overrides, loc):
    response = admin_client_api.post(URL, body(**overrides), format="json")
    assert errors_at(assert_envelope(response, 422)) == [loc]


def test_a_service_that_tracks_stock_is_422(admin_client_api):
    response = admin_client_api.post(URL, body(kind="service", track_stock=True), format="json")
    error = assert_envelope(response, 422)["details"]["errors"][0]
    assert error["loc"] == ["body", "track_stock"]
    assert error["msg"] == "A service does not track stock."


def test_duplicate_sku_is_409_case_insensitively(admin_client_api):
    ItemFactory(sku="CHL-1")
    response = admin_client_api.post(URL, body(sku="chl-1"), format="json")
    error = assert_envelope(response, 409)
    assert error["details"]["reason"] == "duplicate_sku"
    assert error["message"] == "An item with this SKU already exists"
    other = ItemFactory(sku="OTHER")
    patched = admin_client_api.patch(f"{URL}/{other.pk}", {"sku": " Chl-1 "}, format="json")
    assert assert_envelope(patched, 409)["details"]["reason"] == "duplicate_sku"


def test_put_replaces_and_patch_changes_only_what_is_given(admin_client_api):
    item = ItemFactory(sku="P-1", category="Parts", cost=Decimal("2.00"))
    put = admin_client_api.put(f"{URL}/{item.pk}", body(sku="P-1"), format="json")
    assert put.status_code == 200, put.content
    assert (put.json()["category"], put.json()["cost"]) == ("", None)
    patched = admin_client_api.patch(f"{URL}/{item.pk}", {"price": 7}, format="json")
    assert patched.json()["price"] == "7.00" and patched.json()["name"] == "Liquid chlorine"
    empty = admin_client_api.patch(f"{URL}/{item.pk}", {}, format="json")
    assert assert_envelope(empty, 400)["details"]["reason"] == "no_fields_to_update"


def test_missing_item_is_404_and_a_bad_id_422(staff_client_api):
    missing = assert_envelope(staff_client_api.get(f"{URL}/999999"), 404)
    assert (missing["message"], missing["details"]["reason"]) == (
        "Item not found",
        "item_not_found",
    )
    bad = assert_envelope(staff_client_api.get(f"{URL}/abc"), 422)
    assert errors_at(bad) == [["path", "item_id"]]


# --- the soft delete ---------------------------------------------------------------------


def test_delete_is_soft_gone_from_lists_search_and_get_kept_on_movements(admin_client_api, ctx):
    item = stocked(ctx, 5, sku="FLT-9", name="Filter cartridge")
    assert ids(admin_client_api.get(URL, {"q": "cartridge"})) == [item.pk]
    response = admin_client_api.delete(f"{URL}/{item.pk}")
    assert response.status_code == 204 and response.content == b""
    assert ids(admin_client_api.get(URL)) == []
    assert ids(admin_client_api.get(URL, {"q": "cartridge"})) == []
    assert admin_client_api.get(f"{URL}/{item.pk}").status_code == 404
    assert admin_client_api.delete(f"{URL}/{item.pk}").status_code == 404
    # The row and its movement stay; the movement still names the item.
    row = Item.objects.of(ctx).get(pk=item.pk)
    assert row.deleted_at is not None and row.live is None
    movements = admin_client_api.get("/api/v1/stock-movements", {"item_id": item.pk}).json()
    assert [(m["item_id"], m["kind"]) for m in movements] == [(item.pk, "receipt")]
    # Its SKU is free again, in any case.
    again = admin_client_api.post(URL, body(sku="flt-9"), format="json")
    assert again.status_code == 201, again.content
    # No stock moves on a deleted item.
    refused = admin_client_api.post(
        "/api/v1/stock-movements",
        {"item_id": item.pk, "kind": "receipt", "quantity": "1"},
        format="json",
    )
    assert assert_envelope(refused, 404)["details"]["reason"] == "item_not_found"


def test_two_deleted_items_may_share_a_sku(ctx):
    for _ in range(2):
        services.item_delete(ctx, item=ItemFactory(sku="DUP"))
    ItemFactory(sku="dup")
    assert Item.objects.of(ctx).filter(sku__iexact="dup").count() == 3


# --- the list's query language ---------------------------------------------------------


@pytest.fixture
def shelf(ctx):
    """Five items of each kind, with prices, stock and reorder levels to filter on."""
    return {
        "chlorine": stocked(
            ctx,
            2,
            sku="CHL",
            name="Chlorine",
            kind="chemical",
            category="Sanitizer",
            price=Decimal("6.50"),
            reorder_level=Decimal("5"),
        ),
        "tabs": stocked(
            ctx,
            40,
            sku="TAB",
            name="Trichlor tabs",
            kind="chemical",
            category="sanitizer",
            price=Decimal("89.00"),
            reorder_level=Decimal("10"),
            description="3 inch pucks",
        ),
        "pump": stocked(
            ctx,
            0,
            sku="PMP",
            name="Pump seal",
            kind="part",
            category="Pumps",
            price=Decimal("24.00"),
        ),
        "clean": ItemFactory(
            sku="SVC",
            name="Green to clean",
            kind="service",
            track_stock=False,
            price=Decimal("350.00"),
            unit="visit",
        ),
        "net": stocked(
            ctx,
            3,
            sku="NET",
            name="Leaf net",
            kind="product",
            price=Decimal("19.99"),
        ),
    }


def test_list_is_newest_first_with_total(staff_client_api, shelf):
    response = staff_client_api.get(URL)
    assert ids(response) == [shelf[k].pk for k in ("net", "clean", "pump", "tabs", "chlorine")]
    assert response["X-Total-Count"] == "5"
    assert set(response.json()[0]) == FIELDS


def test_q_searches_name_sku_and_description(staff_client_api, shelf):
    assert ids(staff_client_api.get(URL, {"q": "chlor"})) == [
        shelf["tabs"].pk,
        shelf["chlorine"].pk,
    ]
    assert ids(staff_client_api.get(URL, {"q": "pmp"})) == [shelf["pump"].pk]
    assert ids(staff_client_api.get(URL, {"q": "pucks"})) == [shelf["tabs"].pk]
    assert ids(staff_client_api.get(URL, {"q": "tabs pucks"})) == [shelf["tabs"].pk]
    assert ids(staff_client_api.get(URL, {"q": "nothing"})) == []


def test_a_search_alone_reads_its_compiled_count_and_page(
    staff_client_api, shelf, settings, django_assert_num_queries
):
    settings.CATALOG_CACHE_SECONDS = 0
    for q, found in [("chlor", 2), ("TABS pucks", 1), (" chlor  ", 2), ("", 5), ("%", 0)]:
        # The session, the count and the page (compiled once per number of words); no page
        # when nothing is found.
        with django_assert_num_queries(3 if found else 2):
            alone = staff_client_api.get(URL, {"q": q, "limit": 1})
        # A filter that keeps every row takes the FilterSet's way: the same answer.
        with_filter = staff_client_api.get(URL, {"q": q, "limit": 1, "in_stock_only": "false"})
        assert alone.json() == with_filter.json()
        assert alone["X-Total-Count"] == with_filter["X-Total-Count"] == str(found)
    # Its words validated as the FilterSet validates them.
    for bad in ("x" * 201, "a\x00b"):
        response = assert_envelope(staff_client_api.get(URL, {"q": bad}), 422)
        assert errors_at(response) == [["query", "q"]]


def test_kind_and_category(staff_client_api, shelf):
    assert ids(staff_client_api.get(URL, {"kind": "service"})) == [shelf["clean"].pk]
    # The category matches whatever its case.
    assert ids(staff_client_api.get(URL, {"category": "SANITIZER"})) == [
        shelf["tabs"].pk,
        shelf["chlorine"].pk,
    ]
    bad = assert_envelope(staff_client_api.get(URL, {"kind": "food"}), 422)
    assert errors_at(bad) == [["query", "kind"]]


def test_price_range(staff_client_api, shelf):
    query = {"min_price": "19.99", "max_price": "89"}
    assert ids(staff_client_api.get(URL, query)) == [
        shelf["net"].pk,
        shelf["pump"].pk,
        shelf["tabs"].pk,
    ]
    assert ids(staff_client_api.get(URL, {"min_price": 100})) == [shelf["clean"].pk]
    for bad in ("-1", "abc", "1.234", "\u0661\u0660"):  # Arabic-Indic 10
        response = staff_client_api.get(URL, {"min_price": bad})
        assert errors_at(assert_envelope(response, 422)) == [["query", "min_price"]], bad


def test_in_stock_only(staff_client_api, shelf):
    # The pump seal has none; a service is not counted in stock and is always available.
    listed = ids(staff_client_api.get(URL, {"in_stock_only": "true"}))
    assert listed == [shelf[k].pk for k in ("net", "clean", "tabs", "chlorine")]
    assert len(ids(staff_client_api.get(URL, {"in_stock_only": "false"}))) == 5
    bad = assert_envelope(staff_client_api.get(URL, {"in_stock_only": "maybe"}), 422)
    assert errors_at(bad) == [["query", "in_stock_only"]]


def test_low_stock(staff_client_api, shelf):
    # At or below the reorder level: chlorine 2 <= 5, the pump seal 0 <= 0; not the service.
    assert ids(staff_client_api.get(URL, {"low_stock": "true"})) == [
        shelf["pump"].pk,
        shelf["chlorine"].pk,
    ]
    assert ids(staff_client_api.get(URL, {"low_stock": "false"})) == [
        shelf[k].pk for k in ("net", "clean", "tabs")
    ]


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("name", ["chlorine", "clean", "net", "pump", "tabs"]),
        ("-name", ["tabs", "pump", "net", "clean", "chlorine"]),
        ("price", ["chlorine", "net", "pump", "tabs", "clean"]),
        ("-price", ["clean", "tabs", "pump", "net", "chlorine"]),
        # Equal stock (the seal and the service have none) -> newest first.
        ("stock_quantity", ["clean", "pump", "chlorine", "net", "tabs"]),
        ("-stock_quantity", ["tabs", "net", "chlorine", "clean", "pump"]),
        ("created_at", ["chlorine", "tabs", "pump", "clean", "net"]),
        ("-created_at", ["net", "clean", "pump", "tabs", "chlorine"]),
    ],
)
def test_sort(staff_client_api, shelf, sort, order):
    assert ids(staff_client_api.get(URL, {"sort": sort})) == [shelf[k].pk for k in order]


def test_an_unknown_sort_is_422_in_the_envelope(staff_client_api, shelf):
    body = assert_envelope(staff_client_api.get(URL, {"sort": "cost"}), 422)
    assert body["details"]["errors"][0]["loc"] == ["query", "sort"]
    assert "cost is not one of the available choices" in body["details"]["errors"][0]["msg"]
    assert_envelope(staff_client_api.get(URL, {"sort": ""}), 422)


def test_filters_combine_and_page(staff_client_api, shelf):
    query = {"kind": "chemical", "sort": "price", "limit": 1, "offset": 1}
    response = staff_client_api.get(URL, query)
    assert ids(response) == [shelf["tabs"].pk]
    assert response["X-Total-Count"] == "2"
    assert 'rel="prev"' in response["Link"] and 'rel="next"' not in response["Link"]
    assert_envelope(staff_client_api.get(URL, {"limit": 0}), 422)


# --- the cache -------------------------------------------------------------------------


def test_a_read_after_each_write_sees_it(admin_client_api, ctx):
    item = stocked(ctx, 3, sku="CHL", reorder_level=Decimal("5"))
    path = f"{URL}/{item.pk}"
    assert admin_client_api.get(path).json()["price"] == "10.00"
    assert admin_client_api.get(URL).json()[0]["price"] == "10.00"
    admin_client_api.patch(path, {"price": "12.00"}, format="json")
    assert admin_client_api.get(path).json()["price"] == "12.00"
    assert admin_client_api.get(URL).json()[0]["price"] == "12.00"
    # A stock movement changes the item too.
    services.stock_use(ctx, item=item, quantity=Decimal("1"))
    assert admin_client_api.get(path).json()["stock_quantity"] == "2.000"
    assert admin_client_api.get(URL, {"low_stock": "true"}).json()[0]["stock_quantity"] == "2.000"
    services.item_delete(ctx, item=item)
    assert admin_client_api.get(path).status_code == 404
    assert admin_client_api.get(URL).json() == []


def test_a_cached_list_costs_no_query_of_items(staff_client_api, django_assert_num_queries, ctx):
    for _ in range(60):
        ItemFactory()
    # A miss: the session's row (authentication), the version (made: the database cache's
    # add() is 5 queries), the entry, the count, the page and the entry stored (5 again).
    with django_assert_num_queries(15):
        assert len(staff_client_api.get(URL).json()) == 50
    # Cached: the session, the version and the entry read together.
    with django_assert_num_queries(2):
        response = staff_client_api.get(URL)
    assert len(response.json()) == 50 and response["X-Total-Count"] == "60"
    assert 'rel="next"' in response["Link"]
    item = Item.objects.of(ctx).first()
    # The version is there: the session, the version (and no entry), the item and the store.
    with django_assert_num_queries(8):
        staff_client_api.get(f"{URL}/{item.pk}")
    with django_assert_num_queries(2):
        assert staff_client_api.get(f"{URL}/{item.pk}").json()["item_id"] == item.pk


def test_a_rolled_back_write_leaves_the_answer_unchanged(admin_client_api, ctx):
    item = ItemFactory(sku="A")
    ItemFactory(sku="B")
    first = admin_client_api.get(URL).json()
    refused = admin_client_api.patch(f"{URL}/{item.pk}", {"sku": "b"}, format="json")
    assert refused.status_code == 409
    assert admin_client_api.get(URL).json() == first
    assert StockMovement.objects.of(ctx).count() == 0


def test_catalog_cache_seconds_zero_reads_the_database_every_time(
    staff_client_api, settings, django_assert_num_queries
):
    settings.CATALOG_CACHE_SECONDS = 0
    item = ItemFactory()
    for _ in range(2):
        # The session, the item: no cache read or write.
        with django_assert_num_queries(2):
            assert staff_client_api.get(f"{URL}/{item.pk}").json()["item_id"] == item.pk
