"""The /pools and /equipment endpoints: contract shape, lists, filters, strict input, rules."""

import pytest

from customers.tests.factories import CustomerFactory, PropertyFactory
from customers.tests.test_api_customers import errors_at
from ektor.tests.test_errors import ISO_Z, assert_envelope
from pools.models import Equipment, Pool
from pools.tests.factories import EquipmentFactory, PoolFactory
from tenancy.tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db

POOLS = "/api/v1/pools"
EQUIPMENT = "/api/v1/equipment"
POOL_FIELDS = {
    "pool_id",
    "property_id",
    "customer_id",
    "name",
    "kind",
    "volume_gallons",
    "surface",
    "sanitizer",
    "is_indoor",
    "access_notes",
    "notes",
    "is_active",
    "created_at",
    "updated_at",
}
EQUIPMENT_FIELDS = {
    "equipment_id",
    "pool_id",
    "kind",
    "make",
    "model",
    "serial_number",
    "installed_on",
    "notes",
}


def pool_body(prop, **overrides) -> dict:
    return {"property_id": prop.pk, "name": "Main Pool", "volume_gallons": 15000} | overrides


# --- pools: lists ----------------------------------------------------------------------------


def test_list_is_an_array_newest_first_with_the_contract_fields(staff_client_api):
    older = PoolFactory()
    newer = PoolFactory(kind="spa", volume_gallons=800, access_notes="Gate code 1234")
    response = staff_client_api.get(POOLS)
    body = response.json()
    assert [row["pool_id"] for row in body] == [newer.pk, older.pk]
    assert set(body[0]) == POOL_FIELDS
    assert (body[0]["property_id"], body[0]["customer_id"]) == (
        newer.property_id,
        newer.property.customer_id,
    )
    assert body[0]["kind"] == "spa" and body[0]["volume_gallons"] == 800
    assert body[0]["access_notes"] == "Gate code 1234" and body[0]["is_indoor"] is False
    assert ISO_Z.match(body[0]["created_at"])
    assert response["X-Total-Count"] == "2"


def test_filter_by_property_and_by_customer(staff_client_api):
    customer = CustomerFactory()
    first = PoolFactory(property__customer=customer)
    second = PoolFactory(property__customer=customer)
    PoolFactory()
    by_property = staff_client_api.get(POOLS, {"property_id": first.property_id})
    assert [row["pool_id"] for row in by_property.json()] == [first.pk]
    by_customer = staff_client_api.get(POOLS, {"customer_id": customer.pk})
    assert [row["pool_id"] for row in by_customer.json()] == [second.pk, first.pk]
    assert by_customer["X-Total-Count"] == "2"


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("spa", ["Spa"]),
        ("perry", ["Spa"]),
        ("coral", ["Lap Pool"]),
        ("isabela pool", ["Lap Pool"]),
        ("", ["Lap Pool", "Spa"]),
        ("nothing", []),
    ],
)
def test_search_over_name_and_the_propertys_address(staff_client_api, q, expected):
    PoolFactory(name="Spa", property__label="Perry Residence", property__city="Moca")
    PoolFactory(name="Lap Pool", property__address1="600 Coral Ln", property__city="Isabela")
    response = staff_client_api.get(POOLS, {"q": q})
    assert [row["name"] for row in response.json()] == expected


@pytest.mark.parametrize("name", ["property_id", "customer_id"])
@pytest.mark.parametrize("value", ["-1", "0", "abc", "", "1e3"])
def test_bad_id_filters_are_422(staff_client_api, name, value):
    body = assert_envelope(staff_client_api.get(POOLS, {name: value}), 422)
    assert errors_at(body) == [["query", name]]


def test_a_long_search_is_422(staff_client_api):
    body = assert_envelope(staff_client_api.get(POOLS, {"q": "x" * 201}), 422)
    assert errors_at(body) == [["query", "q"]]


@pytest.mark.parametrize("rows", [5, 60])
def test_pool_list_query_count_does_not_grow_with_the_page(
    staff_client_api, django_assert_num_queries, rows
):
    prop = PropertyFactory()
    PoolFactory.create_batch(rows, property=prop)
    # session + user, the count (a filtered list always counts), the page (its property join).
    with django_assert_num_queries(3):
        response = staff_client_api.get(POOLS, {"limit": 200, "customer_id": prop.customer_id})
    assert len(response.json()) == rows


# --- pools: one ------------------------------------------------------------------------------


def test_retrieve_404_and_422(staff_client_api, django_assert_num_queries):
    pool = PoolFactory()
    # session + user, the pool with its property (customer_id is read through it).
    with django_assert_num_queries(2):
        body = staff_client_api.get(f"{POOLS}/{pool.pk}").json()
    assert body["customer_id"] == pool.property.customer_id
    body = assert_envelope(staff_client_api.get(f"{POOLS}/999999"), 404)
    assert (body["message"], body["details"]["reason"]) == ("Pool not found", "pool_not_found")
    body = assert_envelope(staff_client_api.get(f"{POOLS}/abc"), 422)
    assert errors_at(body) == [["path", "pool_id"]]


def test_create_returns_201_with_the_defaults(admin_client_api):
    prop = PropertyFactory()
    response = admin_client_api.post(POOLS, pool_body(prop, notes=""), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == POOL_FIELDS
    assert (body["property_id"], body["customer_id"]) == (prop.pk, prop.customer_id)
    assert (body["kind"], body["surface"], body["sanitizer"]) == ("pool", "plaster", "chlorine")
    assert body["is_indoor"] is False and body["is_active"] is True and body["notes"] is None
    assert Pool.unscoped.get(pk=body["pool_id"]).company == prop.company


def test_customer_id_is_read_only(admin_client_api):
    """The pool's customer is its property's: a customer_id sent is not read (as every field
    a body has that the input does not)."""
    prop = PropertyFactory()
    body = pool_body(prop, customer_id=CustomerFactory().pk)
    response = admin_client_api.post(POOLS, body, format="json")
    assert response.status_code == 201
    assert response.json()["customer_id"] == prop.customer_id


@pytest.mark.parametrize(
    ("overrides", "loc"),
    [
        ({"name": ""}, ["body", "name"]),
        ({"name": "N" * 61}, ["body", "name"]),
        ({"name": 5}, ["body", "name"]),
        ({"volume_gallons": 99}, ["body", "volume_gallons"]),
        ({"volume_gallons": 2_000_001}, ["body", "volume_gallons"]),
        ({"volume_gallons": "15000"}, ["body", "volume_gallons"]),
        ({"volume_gallons": 1500.5}, ["body", "volume_gallons"]),
        ({"kind": "pond"}, ["body", "kind"]),
        ({"surface": "gunite"}, ["body", "surface"]),
        ({"sanitizer": "ozone"}, ["body", "sanitizer"]),
        ({"is_indoor": "yes"}, ["body", "is_indoor"]),
        ({"property_id": "1"}, ["body", "property_id"]),
        ({"property_id": 0}, ["body", "property_id"]),
    ],
)
def test_create_validates_strictly(admin_client_api, overrides, loc):
    payload = pool_body(PropertyFactory(), **overrides)
    body = assert_envelope(admin_client_api.post(POOLS, payload, format="json"), 422)
    assert errors_at(body) == [loc]
    assert not Pool.unscoped.exists()


def test_create_without_required_fields_is_422(admin_client_api):
    body = assert_envelope(admin_client_api.post(POOLS, {}, format="json"), 422)
    required = [["body", "name"], ["body", "property_id"], ["body", "volume_gallons"]]
    assert sorted(errors_at(body)) == required


def test_create_for_an_unknown_or_another_companys_property_is_404(admin_client_api):
    other = PropertyFactory(customer__company=CompanyFactory())
    for prop_id in (999999, other.pk):
        payload = pool_body(PropertyFactory.build(pk=prop_id))
        body = assert_envelope(admin_client_api.post(POOLS, payload, format="json"), 404)
        assert body["message"] == "Property not found"
        assert body["details"]["reason"] == "property_not_found"
    assert not Pool.unscoped.exists()


def test_a_duplicate_name_at_the_property_is_409(admin_client_api):
    pool = PoolFactory(name="Spa")
    payload = pool_body(pool.property, name="SPA")
    body = assert_envelope(admin_client_api.post(POOLS, payload, format="json"), 409)
    assert body["message"] == "A pool with this name already exists at the property"
    assert body["details"]["reason"] == "duplicate_pool_name"


def test_put_replaces_every_field(admin_client_api):
    pool = PoolFactory(kind="spa", notes="old", is_indoor=True)
    payload = pool_body(pool.property, name="Renamed", sanitizer="salt")
    response = admin_client_api.put(f"{POOLS}/{pool.pk}", payload, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["name"], body["sanitizer"], body["kind"]) == ("Renamed", "salt", "pool")
    assert body["notes"] is None and body["is_indoor"] is False


def test_put_moves_the_pool_and_its_customer_follows(admin_client_api):
    pool, there = PoolFactory(), PropertyFactory()
    response = admin_client_api.put(f"{POOLS}/{pool.pk}", pool_body(there), format="json")
    assert (response.json()["property_id"], response.json()["customer_id"]) == (
        there.pk,
        there.customer_id,
    )


def test_patch_changes_only_the_given_fields(admin_client_api):
    pool = PoolFactory(notes="Dog in the yard")
    response = admin_client_api.patch(f"{POOLS}/{pool.pk}", {"is_active": False}, format="json")
    assert response.status_code == 200
    assert response.json()["is_active"] is False and response.json()["notes"] == "Dog in the yard"


def test_patch_to_a_taken_name_is_409_and_with_nothing_400(admin_client_api):
    pool = PoolFactory(name="Spa")
    PoolFactory(property=pool.property, name="Main")
    response = admin_client_api.patch(f"{POOLS}/{pool.pk}", {"name": "main"}, format="json")
    assert assert_envelope(response, 409)["details"]["reason"] == "duplicate_pool_name"
    body = assert_envelope(admin_client_api.patch(f"{POOLS}/{pool.pk}", {}, format="json"), 400)
    assert body["details"]["reason"] == "no_fields_to_update"


def test_delete_is_204_and_takes_the_equipment(admin_client_api):
    item = EquipmentFactory()
    response = admin_client_api.delete(f"{POOLS}/{item.pool_id}")
    assert response.status_code == 204 and response.content == b""
    assert not Pool.unscoped.exists() and not Equipment.unscoped.exists()


# --- equipment -------------------------------------------------------------------------------


def test_equipment_list_with_the_contract_fields_and_the_pool_filter(staff_client_api):
    mine = EquipmentFactory(installed_on="2024-03-01", notes="Replaced seal")
    EquipmentFactory()
    response = staff_client_api.get(EQUIPMENT, {"pool_id": mine.pool_id})
    (row,) = response.json()
    assert set(row) == EQUIPMENT_FIELDS
    assert row == {
        "equipment_id": mine.pk,
        "pool_id": mine.pool_id,
        "kind": "pump",
        "make": "Pentair",
        "model": "IntelliFlo VSF",
        "serial_number": mine.serial_number,
        "installed_on": "2024-03-01",
        "notes": "Replaced seal",
    }
    assert response["X-Total-Count"] == "1"


@pytest.mark.parametrize("value", ["-1", "abc", ""])
def test_bad_pool_filter_is_422(staff_client_api, value):
    body = assert_envelope(staff_client_api.get(EQUIPMENT, {"pool_id": value}), 422)
    assert errors_at(body) == [["query", "pool_id"]]


@pytest.mark.parametrize("rows", [5, 60])
def test_equipment_list_query_count_does_not_grow_with_the_page(
    staff_client_api, django_assert_num_queries, rows
):
    pool = PoolFactory()
    EquipmentFactory.create_batch(rows, pool=pool)
    with django_assert_num_queries(3):
        response = staff_client_api.get(EQUIPMENT, {"limit": 200, "pool_id": pool.pk})
    assert len(response.json()) == rows


def test_equipment_create_put_patch_delete(admin_client_api):
    pool = PoolFactory()
    payload = {"pool_id": pool.pk, "kind": "salt_cell", "installed_on": "2025-06-30"}
    response = admin_client_api.post(EQUIPMENT, payload, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["installed_on"], body["make"]) == ("salt_cell", "2025-06-30", None)
    path = f"{EQUIPMENT}/{body['equipment_id']}"
    replaced = admin_client_api.put(path, {"pool_id": pool.pk, "kind": "heater"}, format="json")
    assert (replaced.json()["kind"], replaced.json()["installed_on"]) == ("heater", None)
    patched = admin_client_api.patch(path, {"serial_number": "HX-1"}, format="json")
    assert (patched.json()["kind"], patched.json()["serial_number"]) == ("heater", "HX-1")
    assert admin_client_api.delete(path).status_code == 204
    body = assert_envelope(admin_client_api.get(path), 404)
    assert (body["message"], body["details"]["reason"]) == (
        "Equipment not found",
        "equipment_not_found",
    )


@pytest.mark.parametrize(
    ("overrides", "loc"),
    [
        ({"kind": "boiler"}, ["body", "kind"]),
        ({"kind": None}, ["body", "kind"]),
        ({"installed_on": "2024-13-01"}, ["body", "installed_on"]),
        ({"installed_on": "01/02/2024"}, ["body", "installed_on"]),
        ({"make": "M" * 61}, ["body", "make"]),
        ({"pool_id": "7"}, ["body", "pool_id"]),
    ],
)
def test_equipment_create_validates_strictly(admin_client_api, overrides, loc):
    payload = {"pool_id": PoolFactory().pk, "kind": "pump"} | overrides
    body = assert_envelope(admin_client_api.post(EQUIPMENT, payload, format="json"), 422)
    assert errors_at(body) == [loc]
    assert not Equipment.unscoped.exists()


def test_equipment_of_an_unknown_or_another_companys_pool_is_404(admin_client_api):
    other = PoolFactory(property__customer__company=CompanyFactory())
    for pool_id in (999999, other.pk):
        payload = {"pool_id": pool_id, "kind": "pump"}
        body = assert_envelope(admin_client_api.post(EQUIPMENT, payload, format="json"), 404)
        assert (body["message"], body["details"]["reason"]) == ("Pool not found", "pool_not_found")
    mine = EquipmentFactory()
    moved = admin_client_api.patch(f"{EQUIPMENT}/{mine.pk}", {"pool_id": other.pk}, format="json")
    assert assert_envelope(moved, 404)["details"]["reason"] == "pool_not_found"
    assert Equipment.unscoped.get(pk=mine.pk).pool_id == mine.pool_id


# --- the OpenAPI document --------------------------------------------------------------------


def test_the_document_describes_both_resources_with_their_reasons(client):
    doc = client.get("/openapi.json").json()
    pools = doc["paths"]["/api/v1/pools"]
    assert pools["get"]["summary"] == "List pools, newest first"
    assert {p["name"] for p in pools["get"]["parameters"]} >= {"property_id", "customer_id", "q"}
    assert "`duplicate_pool_name`" in pools["post"]["responses"]["409"]["description"]
    assert "`property_not_found`" in pools["post"]["responses"]["404"]["description"]
    one = doc["paths"]["/api/v1/pools/{pool_id}"]
    assert "`protected_by_references`" in one["delete"]["responses"]["409"]["description"]
    assert "`pool_not_found`" in one["get"]["responses"]["404"]["description"]
    request = doc["components"]["schemas"]["PoolRequest"]["properties"]
    assert (request["volume_gallons"]["minimum"], request["volume_gallons"]["maximum"]) == (
        100,
        2_000_000,
    )
    assert "customer_id" not in request
    equipment = doc["paths"]["/api/v1/equipment"]
    assert {p["name"] for p in equipment["get"]["parameters"]} >= {"pool_id"}
    assert "`pool_not_found`" in equipment["post"]["responses"]["404"]["description"]
