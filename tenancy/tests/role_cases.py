"""The company operations for the role matrix (tests/test_role_matrix.py): every member reads
their companies and the current one; its owners (admin_user is the test company's) change it."""

from ektor.testing import RoleCase

API = "/api/v1"

CASES = [
    RoleCase("GET", "api/v1/companies", lambda: f"{API}/companies", staff_allowed=True),
    RoleCase("GET", "api/v1/company", lambda: f"{API}/company", staff_allowed=True),
    RoleCase(
        "PATCH", "api/v1/company", lambda: f"{API}/company", lambda: {"phone": "787-555-0100"}
    ),
]
