"""Role matrix entries for /customers and /properties: staff read, only admins write; a
technician sees only those on their route (operations/routes.py); the rows these cases make are
on none of the matrix technician's visits or plans, so an empty list and 404
(operations/tests/test_api_visits.py lists a route's)."""

from customers.tests.factories import CustomerFactory, PropertyFactory
from ektor.testing import RoleCase

CUSTOMERS = "/api/v1/customers"
PROPERTIES = "/api/v1/properties"


def customer_path() -> str:
    return f"{CUSTOMERS}/{CustomerFactory().pk}"


def property_path() -> str:
    return f"{PROPERTIES}/{PropertyFactory().pk}"


def customer_body() -> dict:
    return {"first_name": "Nilda", "last_name": "Colon", "email": "nilda@example.com"}


def property_body() -> dict:
    return {"customer_id": CustomerFactory().pk, "label": "Casa Playa", "address1": "12 Calle Sol"}


CASES = [
    RoleCase("GET", "api/v1/customers", lambda: CUSTOMERS, staff_allowed=True, technician="empty"),
    RoleCase("POST", "api/v1/customers", lambda: CUSTOMERS, customer_body, admin_status=201),
    RoleCase(
        "GET", "api/v1/customers/<pk>", customer_path, staff_allowed=True, technician="missing"
    ),
    RoleCase("PUT", "api/v1/customers/<pk>", customer_path, customer_body),
    RoleCase("PATCH", "api/v1/customers/<pk>", customer_path, lambda: {"phone": "787-555-9999"}),
    RoleCase("DELETE", "api/v1/customers/<pk>", customer_path, admin_status=204),
    RoleCase(
        "GET", "api/v1/properties", lambda: PROPERTIES, staff_allowed=True, technician="empty"
    ),
    RoleCase("POST", "api/v1/properties", lambda: PROPERTIES, property_body, admin_status=201),
    RoleCase(
        "GET", "api/v1/properties/<pk>", property_path, staff_allowed=True, technician="missing"
    ),
    RoleCase("PUT", "api/v1/properties/<pk>", property_path, property_body),
    RoleCase("PATCH", "api/v1/properties/<pk>", property_path, lambda: {"is_active": 0}),
    RoleCase("DELETE", "api/v1/properties/<pk>", property_path, admin_status=204),
]
