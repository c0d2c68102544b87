"""Test support shared by every app: the role matrix entries each app contributes."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RoleCase:
    """One API operation for the role matrix (tests/test_role_matrix.py).

    `path` and `payload` are callables so each case builds its own rows inside the test's
    database; `admin_status` is what an admin gets with that payload.
    """

    method: str
    route: str  # the URL pattern it exercises, e.g. "api/v1/customers/<pk>"
    path: Callable[[], str]
    payload: Callable[[], Any] = field(default=lambda: None)
    staff_allowed: bool = False
    admin_status: int = 200
    anonymous_allowed: bool = False
