"""The user acting in a company: their membership's role there, held on the user object for
the rest of the request (permissions, the v1 `role`)."""

from typing import Any

# The attribute accounts.backends reads the permissions' role from.
COMPANY_ROLE = "company_role"


def act_as(user: Any, *, role: str | None, is_owner: bool = False) -> None:
    """`user` acts in a company as `role` (None: a member of no company here, no permission).
    An owner is an admin, so v1 clients keep seeing `admin`."""
    setattr(user, COMPANY_ROLE, role)
    user.is_owner = bool(is_owner)
    if role is not None:
        user.role = role
