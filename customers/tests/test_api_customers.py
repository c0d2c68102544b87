"""The /customers endpoints: contract shape, lists, strict input and every domain rule."""

import re

import pytest

from billing.tests.factories import InvoiceFactory
from customers.models import Customer
from customers.tests.factories import CustomerFactory, PropertyFactory
from ektor.tests.test_errors import ISO_Z, assert_envelope

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers"
FIELDS = {
    "customer_id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "is_active",
    "created_at",
    "updated_at",
}


def errors_at(body: dict) -> list[list]:
    return [error["loc"] for error in body["details"]["errors"]]


# --- lists -------------------------------------------------------------------------------


def test_list_is_an_array_newest_first_with_the_contract_fields(staff_client_api):
    older, newer = CustomerFactory(), CustomerFactory()
    response = staff_client_api.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert [row["customer_id"] for row in body] == [newer.pk, older.pk]
    assert set(body[0]) == FIELDS
    assert body[0]["email"] == newer.email
    assert ISO_Z.match(body[0]["created_at"]) and ISO_Z.match(body[0]["updated_at"])
    assert response["X-Total-Count"] == "2"
    assert "Link" not in response


def test_list_pages_with_limit_offset_and_link_headers(staff_client_api):
    ids = [CustomerFactory().pk for _ in range(5)][::-1]
    response = staff_client_api.get(URL, {"limit": 2, "offset": 2})
    assert [row["customer_id"] for row in response.json()] == ids[2:4]
    assert response["X-Total-Count"] == "5"
    links = {rel: url for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response["Link"])}
    assert "limit=2" in links["next"] and "offset=4" in links["next"]
    assert "offset=0" in links["prev"]
    assert staff_client_api.get(URL, {"offset": 10}).json() == []


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"limit": 0}, ["query", "limit"]),
        ({"limit": 201}, ["query", "limit"]),
        ({"offset": -1}, ["query", "offset"]),
        ({"limit": "many"}, ["query", "limit"]),
        ({"q": "x" * 201}, ["query", "q"]),
    ],
)
def test_bad_query_parameters_are_422(staff_client_api, params, loc):
    body = assert_envelope(staff_client_api.get(URL, params), 422)
    assert errors_at(body) == [loc]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("martha", ["Martha"]),
        ("PEREZ", ["Martha"]),
        ("martha perez", ["Martha"]),
        ("pete.stockton@", ["Pete"]),
        ("555-0102", ["Pete"]),
        ("nobody", []),
        ("", ["Pete", "Martha"]),
    ],
)
def test_search_by_name_email_and_phone(staff_client_api, q, expected):
    CustomerFactory(first_name="Martha", last_name="Perez", email="m@x.com", phone="787-555-0101")
    CustomerFactory(
        first_name="Pete", last_name="Stockton", email="pete.stockton@eps.com", phone="787-555-0102"
    )
    response = staff_client_api.get(URL, {"q": q})
    assert [row["first_name"] for row in response.json()] == expected


@pytest.mark.parametrize("rows", [5, 60])
def test_list_query_count_does_not_grow_with_the_page(
    staff_client_api, django_assert_num_queries, rows
):
    CustomerFactory.create_batch(rows)
    staff_client_api.get(URL)  # stores the table's row count in the cache (ektor/db/counts.py)
    # session + user, the cached count, the page.
    with django_assert_num_queries(3):
        response = staff_client_api.get(URL, {"limit": 200})
    assert len(response.json()) == rows


# --- retrieve ------------------------------------------------------------------------------


def test_retrieve(staff_client_api):
    customer = CustomerFactory(email=None, phone=None)
    body = staff_client_api.get(f"{URL}/{customer.pk}").json()
    assert body["customer_id"] == customer.pk
    assert body["email"] is None and body["phone"] is None


def test_retrieve_unknown_is_404_customer_not_found(staff_client_api):
    body = assert_envelope(staff_client_api.get(f"{URL}/999999"), 404)
    assert body["message"] == "Customer not found"
    assert body["details"]["reason"] == "customer_not_found"


def test_retrieve_with_a_non_integer_id_is_422(staff_client_api):
    body = assert_envelope(staff_client_api.get(f"{URL}/abc"), 422)
    assert errors_at(body) == [["path", "customer_id"]]


# --- create --------------------------------------------------------------------------------


def test_create_returns_201_with_the_customer(admin_client_api):
    payload = {"first_name": "Nilda", "last_name": "Colon", "email": "Nilda@Example.com"}
    response = admin_client_api.post(URL, payload, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == FIELDS
    assert body["email"] == "Nilda@Example.com" and body["phone"] is None
    assert body["is_active"] is True
    customer = Customer.unscoped.get(pk=body["customer_id"])
    assert (customer.first_name, customer.last_name) == ("Nilda", "Colon")


def test_create_stores_empty_optional_strings_as_null(admin_client_api):
    payload = {"first_name": "Ana", "last_name": "Ruiz", "email": "", "phone": "  "}
    body = admin_client_api.post(URL, payload, format="json").json()
    assert body["email"] is None and body["phone"] is None
    customer = Customer.unscoped.get(pk=body["customer_id"])
    assert customer.email is None and customer.phone is None


@pytest.mark.parametrize(
    ("payload", "loc"),
    [
        ({"first_name": 123, "last_name": "Ruiz"}, ["body", "first_name"]),
        ({"first_name": "Ana"}, ["body", "last_name"]),
        ({"first_name": "", "last_name": "Ruiz"}, ["body", "first_name"]),
        ({"first_name": "A" * 61, "last_name": "Ruiz"}, ["body", "first_name"]),
        ({"first_name": "Ana", "last_name": "Ruiz", "email": "not-an-email"}, ["body", "email"]),
        ({"first_name": "Ana", "last_name": "Ruiz", "email": 5}, ["body", "email"]),
        ({"first_name": "Ana", "last_name": "Ruiz", "phone": ["1"]}, ["body", "phone"]),
    ],
)
def test_create_validates_strictly(admin_client_api, payload, loc):
    body = assert_envelope(admin_client_api.post(URL, payload, format="json"), 422)
    assert loc in errors_at(body)
    assert not Customer.unscoped.exists()


def test_create_with_an_email_in_use_in_another_case_is_409(admin_client_api):
    CustomerFactory(email="martha.perez@eps.com")
    payload = {"first_name": "M", "last_name": "P", "email": "Martha.Perez@EPS.com"}
    body = assert_envelope(admin_client_api.post(URL, payload, format="json"), 409)
    assert body["message"] == "A customer with this email already exists"
    assert body["details"]["reason"] == "duplicate_email"
    assert Customer.unscoped.count() == 1


def test_create_with_malformed_json_is_400(admin_client_api):
    response = admin_client_api.post(URL, data='{"first_name":', content_type="application/json")
    assert assert_envelope(response, 400)["details"]["reason"] == "malformed_body"


# --- replace (PUT) -------------------------------------------------------------------------


def test_put_replaces_every_field(admin_client_api):
    customer = CustomerFactory(phone="787-555-0000")
    payload = {"first_name": "New", "last_name": "Name", "email": "new@example.com"}
    response = admin_client_api.put(f"{URL}/{customer.pk}", payload, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["phone"] is None  # not given: replaced by null
    customer.refresh_from_db()
    assert (customer.first_name, customer.email, customer.phone) == ("New", "new@example.com", None)


def test_put_without_a_required_field_is_422(admin_client_api):
    customer = CustomerFactory()
    response = admin_client_api.put(f"{URL}/{customer.pk}", {"first_name": "X"}, format="json")
    assert errors_at(assert_envelope(response, 422)) == [["body", "last_name"]]


def test_put_keeps_its_own_email_and_refuses_another_customers(admin_client_api):
    CustomerFactory(email="taken@example.com")
    customer = CustomerFactory(email="mine@example.com")
    url = f"{URL}/{customer.pk}"
    same = {"first_name": "A", "last_name": "B", "email": "MINE@example.com"}
    assert admin_client_api.put(url, same, format="json").status_code == 200
    other = {**same, "email": "taken@example.com"}
    body = assert_envelope(admin_client_api.put(url, other, format="json"), 409)
    assert body["details"]["reason"] == "duplicate_email"


def test_put_unknown_is_404(admin_client_api):
    payload = {"first_name": "A", "last_name": "B"}
    body = assert_envelope(admin_client_api.put(f"{URL}/999999", payload, format="json"), 404)
    assert body["details"]["reason"] == "customer_not_found"


# --- update (PATCH) ------------------------------------------------------------------------


def test_patch_changes_only_the_given_fields(admin_client_api):
    customer = CustomerFactory(first_name="Old", phone="787-555-0000")
    response = admin_client_api.patch(f"{URL}/{customer.pk}", {"phone": ""}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["phone"] is None
    assert response.json()["first_name"] == "Old"


def test_patch_with_no_fields_is_400_no_fields_to_update(admin_client_api):
    customer = CustomerFactory()
    body = assert_envelope(admin_client_api.patch(f"{URL}/{customer.pk}", {}, format="json"), 400)
    assert body["details"]["reason"] == "no_fields_to_update"
    assert body["message"] == "No fields to update were given"


def test_patch_validates_types(admin_client_api):
    customer = CustomerFactory()
    response = admin_client_api.patch(f"{URL}/{customer.pk}", {"last_name": 7}, format="json")
    assert errors_at(assert_envelope(response, 422)) == [["body", "last_name"]]


def test_patch_to_a_duplicate_email_is_409(admin_client_api):
    CustomerFactory(email="taken@example.com")
    customer = CustomerFactory()
    payload = {"email": "Taken@Example.com"}
    response = admin_client_api.patch(f"{URL}/{customer.pk}", payload, format="json")
    assert assert_envelope(response, 409)["details"]["reason"] == "duplicate_email"


# --- delete --------------------------------------------------------------------------------


def test_delete_is_204_without_a_body(admin_client_api):
    customer = CustomerFactory()
    response = admin_client_api.delete(f"{URL}/{customer.pk}")
    assert response.status_code == 204 and response.content == b""
    assert not Customer.unscoped.filter(pk=customer.pk).exists()
    body = assert_envelope(admin_client_api.delete(f"{URL}/{customer.pk}"), 404)
    assert body["details"]["reason"] == "customer_not_found"


def test_delete_of_a_customer_with_properties_is_409_naming_them(admin_client_api):
    customer = PropertyFactory().customer
    body = assert_envelope(admin_client_api.delete(f"{URL}/{customer.pk}"), 409)
    assert body["details"]["reason"] == "protected_by_references"
    assert body["message"] == "Customer cannot be deleted: it is still referenced by 1 property"
    assert body["details"]["references"] == {"properties": 1}
    assert Customer.unscoped.filter(pk=customer.pk).exists()


def test_delete_of_a_customer_with_invoices_names_them_too(admin_client_api):
    invoice = InvoiceFactory()
    body = assert_envelope(admin_client_api.delete(f"{URL}/{invoice.customer_id}"), 409)
    assert body["details"]["references"] == {"invoices": 1, "properties": 1}
    name = invoice.customer.full_name
    assert body["message"] == (
        f"{name} has invoices, and customers with invoices are kept: "
        "deactivate the customer instead."
    )


def test_a_customer_is_deactivated_and_reactivated_with_is_active(admin_client_api):
    customer = InvoiceFactory().customer
    url = f"{URL}/{customer.pk}"
    response = admin_client_api.patch(url, {"is_active": False}, format="json")
    assert response.status_code == 200 and response.json()["is_active"] is False
    assert admin_client_api.get(url).json()["is_active"] is False
    listed = admin_client_api.get(URL).json()
    assert [row["is_active"] for row in listed] == [False]  # kept in lists
    replaced = {"first_name": "Ana", "last_name": "Rivera"}
    assert admin_client_api.put(url, replaced, format="json").json()["is_active"] is True
    bad = admin_client_api.patch(url, {"is_active": "no"}, format="json")
    assert errors_at(assert_envelope(bad, 422)) == [["body", "is_active"]]
