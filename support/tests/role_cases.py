"""Every customer-request API operation for the role matrix (tests/test_role_matrix.py): staff
read and log requests; admins handle them; technicians have no access."""

from accounts.models import Role
from accounts.tests.factories import UserFactory
from customers.tests.factories import CustomerFactory
from ektor.testing import RoleCase
from support.tests.factories import answered_request, make_request


def _path(suffix: str = "", make=make_request) -> str:
    return f"/api/v1/requests/{make().pk}{suffix}"


def _new_request():
    return {
        "kind": "complaint",
        "channel": "phone",
        "customer_id": CustomerFactory().pk,
        "subject": "The heater trips",
    }


def _assignee():
    return {"assignee_id": UserFactory(role=Role.STAFF).pk}


CASES = [
    RoleCase(
        "GET",
        "api/v1/requests",
        lambda: "/api/v1/requests",
        staff_allowed=True,
        technician="denied",
    ),
    RoleCase(
        "POST",
        "api/v1/requests",
        lambda: "/api/v1/requests",
        _new_request,
        staff_allowed=True,
        admin_status=201,
        technician="denied",
    ),
    RoleCase("GET", "api/v1/requests/<pk>", _path, staff_allowed=True, technician="denied"),
    RoleCase("PATCH", "api/v1/requests/<pk>", _path, lambda: {"subject": "Cloudy water"}),
    RoleCase("POST", "api/v1/requests/<pk>/assign", lambda: _path("/assign"), _assignee),
    RoleCase(
        "POST", "api/v1/requests/<pk>/answer", lambda: _path("/answer"), lambda: {"response": "Ok"}
    ),
    RoleCase("POST", "api/v1/requests/<pk>/close", lambda: _path("/close", answered_request)),
    RoleCase("POST", "api/v1/requests/<pk>/reopen", lambda: _path("/reopen", answered_request)),
]
