"""Every API operation, for every role: anonymous -> 401, staff write -> 403, admin allowed,
technician as each case says (no billing, only their route's customers and properties).

Each installed app lists its operations in `<app>/tests/role_cases.py` as `CASES`; the
completeness test fails when a route of the API has no case, so new endpoints cannot skip the
matrix.
"""

import importlib
import importlib.util
import re

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver

from conftest import client_for
from ektor.testing import RoleCase


def has_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # a parent package (the app's tests) does not exist
        return False


def all_cases() -> list[RoleCase]:
    names = (f"{config.name}.tests.role_cases" for config in apps.get_app_configs())
    return [
        case for name in names if has_module(name) for case in importlib.import_module(name).CASES
    ]


CASES = all_cases()


def case_id(case: RoleCase) -> str:
    return f"{case.method} {case.route}"


def api_routes() -> set[str]:
    routes: set[str] = set()

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            text = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, text)
            elif isinstance(pattern, URLPattern) and text.startswith("api/v1/"):
                routes.add(normalise(text))

    walk(get_resolver().url_patterns, "")
    return routes


def normalise(route: str) -> str:
    # Router regexes look like ^customers/(?P<customer_id>[^/.]+)/?$; keep a readable form,
    # with any id as <pk> (the cases' spelling).
    route = route.replace("^", "").replace("$", "").replace("/?", "")
    route = re.sub(r"\(\?P<\w+>[^)]*\)|<\w+>", "<pk>", route)
    return route.rstrip("/")


def send(client, case: RoleCase):
    method = getattr(client, case.method.lower())
    payload = case.payload()
    if payload is None:
        return method(case.path())
    return method(case.path(), payload, format="json")


def test_every_api_route_is_in_the_matrix():
    covered = {normalise(case.route) for case in CASES}
    missing = api_routes() - covered
    assert not missing, f"routes without a role-matrix case: {sorted(missing)}"


@pytest.mark.django_db
@pytest.mark.parametrize("case", [c for c in CASES if not c.anonymous_allowed], ids=case_id)
def test_anonymous_is_401(case):
    response = send(client_for(None), case)
    assert response.status_code == 401, response.content
    assert response.json()["code"] == "HTTP_401"


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_staff(case, staff_user):
    response = send(client_for(staff_user), case)
    if case.staff_allowed:
        assert response.status_code < 400, response.content
    else:
        assert response.status_code == 403, response.content
        assert response.json()["details"]["reason"] == "permission_denied"


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_admin(case, admin_user):
    response = send(client_for(admin_user), case)
    assert response.status_code == case.admin_status, response.content


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_technician(case, technician_user):
    response = send(client_for(technician_user), case)
    expected = case.technician_expects
    if expected == "allowed":
        assert response.status_code < 400, response.content
    elif expected == "denied":
        assert response.status_code == 403, response.content
        assert response.json()["details"]["reason"] == "permission_denied"
    elif expected == "empty":
        assert (response.status_code, response.json()) == (200, []), response.content
        assert response["X-Total-Count"] == "0"
    else:
        assert expected == "missing", case
        assert response.status_code == 404, response.content


def routes_with_methods() -> dict[str, tuple[RoleCase, set[str]]]:
    """Each route once: a case to build its path, and the methods the matrix lists for it."""
    routes: dict[str, tuple[RoleCase, set[str]]] = {}
    for case in CASES:
        methods = routes.setdefault(normalise(case.route), (case, set()))[1]
        methods.add(case.method)
    return routes


ROUTES = routes_with_methods()


@pytest.mark.django_db
@pytest.mark.parametrize("route", sorted(ROUTES))
@pytest.mark.parametrize("role", ["anonymous", "staff", "admin"])
def test_options_answers_every_route_with_allow(route, role, request):
    """OPTIONS says which methods a route has, to anyone, and is never an error."""
    user = None if role == "anonymous" else request.getfixturevalue(f"{role}_user")
    case, methods = ROUTES[route]
    response = client_for(user).options(case.path())
    assert response.status_code == 200, response.content
    allowed = {method.strip() for method in response["Allow"].split(",")}
    assert methods | {"OPTIONS"} <= allowed
    assert response.json() == {
        "name": response.json()["name"],
        "renders": ["application/json"],
        "parses": [
            "application/json",
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ],
    }
