"""The operations for the role matrix (tests/test_role_matrix.py): the water calculator is for
every member, technicians first."""

from ektor.testing import RoleCase

API = "/api/v1"

LSI_BODY = {"ph": 7.6, "temperature_f": 76, "calcium_hardness": 200, "total_alkalinity": 100}

CASES = [
    RoleCase(
        "POST", "api/v1/water/lsi", lambda: f"{API}/water/lsi", lambda: LSI_BODY, staff_allowed=True
    ),
]
