"""The audit trail's API operations for the role matrix (tests/test_role_matrix.py): admins
read it; staff do not."""

from ektor.testing import RoleCase

CASES = [
    RoleCase("GET", "api/v1/audit-events", lambda: "/api/v1/audit-events"),
]
