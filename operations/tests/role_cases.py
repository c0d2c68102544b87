"""The operations for the role matrix (tests/test_role_matrix.py): the water calculator is for
every member, technicians first. Visits: staff read; admins create, change and cancel; start,
complete and skip are an admin's or the visit's technician's (these visits are none of the
matrix's technician's: 404, and their list is empty)."""

from collections.abc import Callable

from customers.tests.factories import PropertyFactory
from ektor.testing import RoleCase
from operations.tests.factories import VisitFactory

API = "/api/v1"

VISITS = f"{API}/visits"


def visit_path(suffix: str = "") -> Callable[[], str]:
    return lambda: f"{VISITS}/{VisitFactory().pk}{suffix}"


def visit_body() -> dict:
    return {"property_id": PropertyFactory().pk, "scheduled_date": "2026-03-04", "title": "Leak"}


LSI_BODY = {"ph": 7.6, "temperature_f": 76, "calcium_hardness": 200, "total_alkalinity": 100}

CASES = [
    RoleCase(
        "POST", "api/v1/water/lsi", lambda: f"{API}/water/lsi", lambda: LSI_BODY, staff_allowed=True
    ),
    RoleCase("GET", "api/v1/visits", lambda: VISITS, staff_allowed=True, technician="empty"),
    RoleCase("POST", "api/v1/visits", lambda: VISITS, visit_body, admin_status=201),
    RoleCase("GET", "api/v1/visits/<pk>", visit_path(), staff_allowed=True, technician="missing"),
    RoleCase("PATCH", "api/v1/visits/<pk>", visit_path(), lambda: {"title": "Leak"}),
    RoleCase("POST", "api/v1/visits/<pk>/start", visit_path("/start"), technician="missing"),
    RoleCase(
        "POST",
        "api/v1/visits/<pk>/complete",
        visit_path("/complete"),
        lambda: {},
        technician="missing",
    ),
    RoleCase(
        "POST",
        "api/v1/visits/<pk>/skip",
        visit_path("/skip"),
        lambda: {"reason": "dog"},
        technician="missing",
    ),
    RoleCase("POST", "api/v1/visits/<pk>/cancel", visit_path("/cancel"), lambda: {"reason": "x"}),
]
