"""The /properties endpoints: contract shape, lists, filters, strict input and the rules."""

import pytest

from billing.tests.factories import InvoiceFactory
from customers.models import Property
from customers.tests.factories import CustomerFactory, PropertyFactory
from customers.tests.test_api_customers import errors_at
from ektor.tests.test_errors import ISO_Z, assert_envelope

pytestmark = pytest.mark.django_db

URL = "/api/v1/properties"
FIELDS = {
    "property_id",
    "customer_id",
    "label",
    "address1",
    "address2",
    "city",
    "state",
    "postal_code",
    "notes",
    "is_active",
    "created_at",
    "updated_at",
}


def body_for(customer, **overrides) -> dict:
    return {"customer_id": customer.pk, "label": "Casa Playa", "address1": "12 Calle Sol"} | (
        overrides
    )


# --- lists -------------------------------------------------------------------------------


def test_list_is_an_array_newest_first_with_the_contract_fields(staff_client_api):
    older, newer = PropertyFactory(), PropertyFactory(notes="Gate code 1234")
    response = staff_client_api.get(URL)
    body = response.json()
    assert [row["property_id"] for row in body] == [newer.pk, older.pk]
    assert set(body[0]) == FIELDS
    assert body[0]["customer_id"] == newer.customer_id
    assert body[0]["notes"] == "Gate code 1234" and body[0]["is_active"] is True
    assert ISO_Z.match(body[0]["created_at"])
    assert response["X-Total-Count"] == "2"


def test_list_pages_with_limit_offset(staff_client_api):
    ids = [PropertyFactory().pk for _ in range(3)][::-1]
    response = staff_client_api.get(URL, {"limit": 1, "offset": 1})
    assert [row["property_id"] for row in response.json()] == ids[1:2]
    assert response["X-Total-Count"] == "3"
    assert 'rel="next"' in response["Link"] and 'rel="prev"' in response["Link"]


def test_filter_by_customer(staff_client_api):
    mine = PropertyFactory()
    PropertyFactory()
    response = staff_client_api.get(URL, {"customer_id": mine.customer_id})
    assert [row["property_id"] for row in response.json()] == [mine.pk]
    assert response["X-Total-Count"] == "1"


@pytest.mark.parametrize("value", ["-1", "0", "abc", "", "1e3"])
def test_bad_customer_filter_is_422(staff_client_api, value):
    body = assert_envelope(staff_client_api.get(URL, {"customer_id": value}), 422)
    assert errors_at(body) == [["query", "customer_id"]]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("beach", ["Beach House"]),
        ("coral", ["Residence"]),
        ("apt 4", ["Residence"]),
        ("isabela", ["Beach House"]),
        ("residence coral", ["Residence"]),
        ("00677", []),  # postal codes are not searched by the API (as the contract says)
    ],
)
def test_search_over_label_address_and_city(staff_client_api, q, expected):
    PropertyFactory(label="Residence", address1="600 Coral Ln", address2="Apt 4", city="Moca")
    PropertyFactory(label="Beach House", address1="700 Beachfront Way", city="Isabela")
    response = staff_client_api.get(URL, {"q": q})
    assert [row["label"] for row in response.json()] == expected


@pytest.mark.parametrize("rows", [5, 60])
def test_list_query_count_does_not_grow_with_the_page(
    staff_client_api, django_assert_num_queries, rows
):
    customer = CustomerFactory()
    PropertyFactory.create_batch(rows, customer=customer)
    # session + user, the count (a filtered list always counts), the page.
    with django_assert_num_queries(3):
        response = staff_client_api.get(URL, {"limit": 200, "customer_id": customer.pk})
    assert len(response.json()) == rows


# --- retrieve ------------------------------------------------------------------------------


def test_retrieve_and_404(staff_client_api):
    prop = PropertyFactory()
    assert staff_client_api.get(f"{URL}/{prop.pk}").json()["label"] == prop.label
    body = assert_envelope(staff_client_api.get(f"{URL}/999999"), 404)
    assert body["message"] == "Property not found"
    assert body["details"]["reason"] == "property_not_found"
    body = assert_envelope(staff_client_api.get(f"{URL}/-4"), 422)
    assert errors_at(body) == [["path", "property_id"]]


# --- create --------------------------------------------------------------------------------


def test_create_returns_201_with_defaults(admin_client_api):
    customer = CustomerFactory()
    response = admin_client_api.post(URL, body_for(customer, city=""), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == FIELDS
    assert body["customer_id"] == customer.pk and body["is_active"] is True
    assert body["city"] is None and body["address2"] is None
    assert Property.unscoped.get(pk=body["property_id"]).city is None


@pytest.mark.parametrize(("value", "stored"), [(0, False), (1, True), (False, False)])
def test_is_active_accepts_booleans_and_1_0(admin_client_api, value, stored):
    payload = body_for(CustomerFactory(), is_active=value)
    body = admin_client_api.post(URL, payload, format="json").json()
    assert body["is_active"] is stored


@pytest.mark.parametrize(
    ("overrides", "loc"),
    [
        ({"is_active": 2}, ["body", "is_active"]),
        ({"is_active": "yes"}, ["body", "is_active"]),
        ({"is_active": None}, ["body", "is_active"]),
        ({"customer_id": "1"}, ["body", "customer_id"]),
        ({"customer_id": 1.5}, ["body", "customer_id"]),
        ({"customer_id": 0}, ["body", "customer_id"]),
        ({"label": "A"}, ["body", "label"]),
        ({"label": "L" * 81}, ["body", "label"]),
        ({"address1": "ab"}, ["body", "address1"]),
        ({"label": 12345}, ["body", "label"]),
        ({"city": 9}, ["body", "city"]),
    ],
)
def test_create_validates_strictly(admin_client_api, overrides, loc):
    payload = body_for(CustomerFactory(), **overrides)
    body = assert_envelope(admin_client_api.post(URL, payload, format="json"), 422)
    assert errors_at(body) == [loc]
    assert not Property.unscoped.exists()


def test_create_without_required_fields_is_422(admin_client_api):
    body = assert_envelope(admin_client_api.post(URL, {}, format="json"), 422)
    required = [["body", "address1"], ["body", "customer_id"], ["body", "label"]]
    assert sorted(errors_at(body)) == required


def test_create_for_an_unknown_customer_is_404(admin_client_api):
    payload = {"customer_id": 999999, "label": "Casa", "address1": "1 Main St"}
    body = assert_envelope(admin_client_api.post(URL, payload, format="json"), 404)
    assert body["message"] == "Customer not found"
    assert body["details"]["reason"] == "customer_not_found"
    assert not Property.unscoped.exists()


# --- replace (PUT) -------------------------------------------------------------------------


def test_put_replaces_every_field(admin_client_api):
    prop = PropertyFactory(notes="old", is_active=False)
    payload = body_for(prop.customer, label="Renamed")
    response = admin_client_api.put(f"{URL}/{prop.pk}", payload, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["label"] == "Renamed"
    assert body["notes"] is None and body["city"] is None and body["is_active"] is True


def test_put_without_a_required_field_is_422(admin_client_api):
    prop = PropertyFactory()
    payload = {"customer_id": prop.customer_id, "label": "Renamed"}
    response = admin_client_api.put(f"{URL}/{prop.pk}", payload, format="json")
    assert errors_at(assert_envelope(response, 422)) == [["body", "address1"]]


def test_put_moves_a_property_without_invoices(admin_client_api):
    prop, other = PropertyFactory(), CustomerFactory()
    response = admin_client_api.put(f"{URL}/{prop.pk}", body_for(other), format="json")
    assert response.json()["customer_id"] == other.pk


def test_put_cannot_move_a_property_with_invoices(admin_client_api):
    prop = InvoiceFactory().property
    response = admin_client_api.put(f"{URL}/{prop.pk}", body_for(CustomerFactory()), format="json")
    body = assert_envelope(response, 409)
    assert body["details"]["reason"] == "property_has_invoices"
    assert body["message"] == "Property has invoices and cannot move to another customer"
    original_customer = prop.customer_id
    prop.refresh_from_db()
    assert prop.customer_id == original_customer


# --- update (PATCH) ------------------------------------------------------------------------


def test_patch_changes_only_the_given_fields(admin_client_api):
    prop = PropertyFactory(city="Rincon")
    response = admin_client_api.patch(f"{URL}/{prop.pk}", {"is_active": 0}, format="json")
    assert response.status_code == 200
    assert response.json()["is_active"] is False and response.json()["city"] == "Rincon"


def test_patch_of_a_property_with_invoices_keeps_working_within_its_customer(admin_client_api):
    prop = InvoiceFactory().property
    payload = {"customer_id": prop.customer_id, "notes": "Dog in the yard"}
    response = admin_client_api.patch(f"{URL}/{prop.pk}", payload, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["notes"] == "Dog in the yard"


def test_patch_cannot_move_a_property_with_invoices(admin_client_api):
    prop = InvoiceFactory().property
    payload = {"customer_id": CustomerFactory().pk}
    response = admin_client_api.patch(f"{URL}/{prop.pk}", payload, format="json")
    assert assert_envelope(response, 409)["details"]["reason"] == "property_has_invoices"


def test_patch_to_an_unknown_customer_is_404(admin_client_api):
    prop = PropertyFactory()
    response = admin_client_api.patch(f"{URL}/{prop.pk}", {"customer_id": 999999}, format="json")
    assert assert_envelope(response, 404)["details"]["reason"] == "customer_not_found"


def test_patch_with_no_fields_is_400(admin_client_api):
    prop = PropertyFactory()
    body = assert_envelope(admin_client_api.patch(f"{URL}/{prop.pk}", {}, format="json"), 400)
    assert body["details"]["reason"] == "no_fields_to_update"


def test_patch_of_an_unknown_property_is_404(admin_client_api):
    body = assert_envelope(admin_client_api.patch(f"{URL}/999999", {"city": "Moca"}), 404)
    assert body["details"]["reason"] == "property_not_found"


# --- delete --------------------------------------------------------------------------------


def test_delete_is_204(admin_client_api):
    prop = PropertyFactory()
    response = admin_client_api.delete(f"{URL}/{prop.pk}")
    assert response.status_code == 204 and response.content == b""
    assert not Property.unscoped.filter(pk=prop.pk).exists()


def test_delete_of_a_property_with_invoices_is_409(admin_client_api):
    prop = InvoiceFactory().property
    body = assert_envelope(admin_client_api.delete(f"{URL}/{prop.pk}"), 409)
    assert body["details"]["reason"] == "protected_by_references"
    assert body["message"] == "Property cannot be deleted: it is still referenced by 1 invoice"
    assert Property.unscoped.filter(pk=prop.pk).exists()
