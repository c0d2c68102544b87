"""The accounts operations for the role matrix (tests/test_role_matrix.py)."""

from accounts.models import AuthSession
from accounts.services import session_start
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from core.context import Ctx
from ektor.testing import RoleCase
from tenancy.tests.factories import default_company

API = "/api/v1"


def _user_path() -> str:
    return f"{API}/users/{UserFactory().pk}"


def _sign_in_body() -> dict:
    return {"username": UserFactory().username, "password": DEFAULT_PASSWORD}


def _refresh_body() -> dict:
    return {"refresh_token": session_start(Ctx.system(), user=UserFactory())["refresh_token"]}


def _own_session_path() -> str:
    # The matrix signs the caller in just before it asks for the path, so the newest session
    # is the caller's own; an anonymous caller is refused before the id matters.
    session = AuthSession.objects.order_by("-created_at").first()
    session_id = session.pk if session else "00000000-0000-0000-0000-000000000000"
    return f"{API}/auth/sessions/{session_id}"


def _new_user_body() -> dict:
    return {"username": "newcomer", "email": "newcomer@example.com", "password": "Pool-Blue-2026"}


CASES = [
    RoleCase(
        "POST",
        "api/v1/auth/token",
        lambda: f"{API}/auth/token",
        _sign_in_body,
        staff_allowed=True,
        anonymous_allowed=True,
    ),
    RoleCase(
        "POST",
        "api/v1/auth/refresh",
        lambda: f"{API}/auth/refresh",
        _refresh_body,
        staff_allowed=True,
        anonymous_allowed=True,
    ),
    # Registration is closed by default: admins only.
    RoleCase(
        "POST",
        "api/v1/auth/register",
        lambda: f"{API}/auth/register",
        _new_user_body,
        admin_status=201,
    ),
    RoleCase(
        "POST",
        "api/v1/auth/logout",
        lambda: f"{API}/auth/logout",
        staff_allowed=True,
        admin_status=204,
    ),
    RoleCase(
        "POST",
        "api/v1/auth/logout-all",
        lambda: f"{API}/auth/logout-all",
        staff_allowed=True,
        admin_status=204,
    ),
    RoleCase("GET", "api/v1/auth/me", lambda: f"{API}/auth/me", staff_allowed=True),
    RoleCase("GET", "api/v1/auth/sessions", lambda: f"{API}/auth/sessions", staff_allowed=True),
    RoleCase(
        "DELETE",
        "api/v1/auth/sessions/<session_id>",
        _own_session_path,
        staff_allowed=True,
        admin_status=204,
    ),
    RoleCase(
        "POST",
        "api/v1/auth/password",
        lambda: f"{API}/auth/password",
        lambda: {"current_password": DEFAULT_PASSWORD, "new_password": "Pool-Green-2027"},
        staff_allowed=True,
        admin_status=204,
    ),
    RoleCase("GET", "api/v1/users", lambda: f"{API}/users"),
    RoleCase(
        "POST",
        "api/v1/users",
        lambda: f"{API}/users",
        lambda: {**_new_user_body(), "role": "admin"},
        admin_status=201,
    ),
    RoleCase("GET", "api/v1/users/<pk>", _user_path),
    RoleCase("PATCH", "api/v1/users/<pk>", _user_path, lambda: {"role": "admin"}),
    RoleCase(
        "POST",
        "api/v1/auth/switch",
        lambda: f"{API}/auth/switch",
        lambda: {"company": default_company().slug},
        staff_allowed=True,
    ),
    RoleCase(
        "POST",
        "api/v1/memberships",
        lambda: f"{API}/memberships",
        lambda: {"user": UserFactory(company=False).username, "role": "staff"},
        admin_status=201,
    ),
]
