"""The audit trail's API operations for the role matrix (tests/test_role_matrix.py): admins
(owners are admins) read their company's trail; staff and technicians do not."""

from ektor.testing import RoleCase

CASES = [
    RoleCase("GET", "api/v1/audit-events", lambda: "/api/v1/audit-events", technician="denied"),
]
