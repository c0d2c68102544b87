"""Role matrix entries for /pools and /equipment: staff read, only admins write; a technician
sees only the pools on their route (operations/routes.py); the rows these cases make are on none
of the matrix technician's visits or plans, so an empty list and 404
(operations/tests/test_api_visits.py lists a route's)."""

from customers.tests.factories import PropertyFactory
from ektor.testing import RoleCase
from pools.tests.factories import EquipmentFactory, PoolFactory

POOLS = "/api/v1/pools"
EQUIPMENT = "/api/v1/equipment"


def pool_path() -> str:
    return f"{POOLS}/{PoolFactory().pk}"


def equipment_path() -> str:
    return f"{EQUIPMENT}/{EquipmentFactory().pk}"


def pool_body() -> dict:
    return {"property_id": PropertyFactory().pk, "name": "Main Pool", "volume_gallons": 15000}


def equipment_body() -> dict:
    return {"pool_id": PoolFactory().pk, "kind": "filter", "make": "Hayward"}


CASES = [
    RoleCase("GET", "api/v1/pools", lambda: POOLS, staff_allowed=True, technician="empty"),
    RoleCase("POST", "api/v1/pools", lambda: POOLS, pool_body, admin_status=201),
    RoleCase("GET", "api/v1/pools/<pk>", pool_path, staff_allowed=True, technician="missing"),
    RoleCase("PUT", "api/v1/pools/<pk>", pool_path, pool_body),
    RoleCase("PATCH", "api/v1/pools/<pk>", pool_path, lambda: {"is_indoor": True}),
    RoleCase("DELETE", "api/v1/pools/<pk>", pool_path, admin_status=204),
    RoleCase("GET", "api/v1/equipment", lambda: EQUIPMENT, staff_allowed=True, technician="empty"),
    RoleCase("POST", "api/v1/equipment", lambda: EQUIPMENT, equipment_body, admin_status=201),
    RoleCase(
        "GET", "api/v1/equipment/<pk>", equipment_path, staff_allowed=True, technician="missing"
    ),
    RoleCase("PUT", "api/v1/equipment/<pk>", equipment_path, equipment_body),
    RoleCase("PATCH", "api/v1/equipment/<pk>", equipment_path, lambda: {"notes": "Leaks"}),
    RoleCase("DELETE", "api/v1/equipment/<pk>", equipment_path, admin_status=204),
]
