"""The operations for the role matrix (tests/test_role_matrix.py): the water calculator is for
every member, technicians first. Visits: staff read; admins create, change and cancel; start,
complete and skip are an admin's or the visit's technician's (these visits are none of the
matrix's technician's: 404, and their list is empty). Plans are read by staff (a technician reads
their own) and written by admins; the route of a day is for everyone, a technician their own.
A visit's photos and report are for the office and the visit's own technician (the visits here
have none: a technician finds them missing)."""

from collections.abc import Callable

from accounts.models import Role, User
from accounts.tests.factories import UserFactory
from customers.tests.factories import PropertyFactory
from ektor.testing import RoleCase
from operations.tests.factories import ServicePlanFactory, VisitFactory
from pools.tests.factories import PoolFactory

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


PLANS = f"{API}/service-plans"


def plan_path(**fields) -> str:
    return f"{PLANS}/{ServicePlanFactory(**fields).pk}"


def plan_body() -> dict:
    return {"pool_id": PoolFactory().pk, "weekday": 2, "start_date": "2026-01-05", "rate": "160"}


def route_path() -> str:
    """The route of the technician the matrix signs in as (made here for the other roles)."""
    tech = User.objects.filter(username="tech").first() or UserFactory(
        username="tech", role=Role.TECHNICIAN
    )
    return f"{API}/route?date=2026-01-07&technician_id={tech.pk}"


CASES += [
    RoleCase("GET", "api/v1/service-plans", lambda: PLANS, staff_allowed=True, technician="empty"),
    RoleCase("POST", "api/v1/service-plans", lambda: PLANS, plan_body, admin_status=201),
    RoleCase(
        "GET", "api/v1/service-plans/<pk>", plan_path, staff_allowed=True, technician="missing"
    ),
    RoleCase("PATCH", "api/v1/service-plans/<pk>", plan_path, lambda: {"weekday": 4}),
    RoleCase("POST", "api/v1/service-plans/<pk>/pause", lambda: f"{plan_path()}/pause", dict),
    RoleCase(
        "POST",
        "api/v1/service-plans/<pk>/resume",
        lambda: f"{plan_path(status='paused')}/resume",
        dict,
    ),
    RoleCase(
        "POST",
        "api/v1/service-plans/<pk>/end",
        lambda: f"{plan_path()}/end",
        lambda: {"end_date": "2030-01-01"},
    ),
    RoleCase(
        "POST",
        "api/v1/schedule",
        lambda: f"{API}/schedule",
        lambda: {"from": "2026-01-01", "to": "2026-01-31"},
    ),
    # A technician reads their own route; the office names whose.
    RoleCase("GET", "api/v1/route", route_path, staff_allowed=True, technician="allowed"),
]


def _visit():
    from customers.tests.factories import CustomerFactory, PropertyFactory
    from operations.tests.factories import ServicePlanFactory, VisitFactory
    from pools.tests.factories import PoolFactory

    prop = PropertyFactory(customer=CustomerFactory(email="ana@example.com"))
    return VisitFactory(plan=ServicePlanFactory(pool=PoolFactory(property=prop)))


def photos_path() -> str:
    return f"{API}/visits/{_visit().pk}/photos"


def photo_path() -> str:
    from operations.tests.factories import PhotoFactory

    photo = PhotoFactory(visit=_visit())
    return f"{API}/visits/{photo.visit_id}/photos/{photo.pk}"


CASES += [
    RoleCase(
        "GET",
        "api/v1/visits/<pk>/photos",
        photos_path,
        staff_allowed=True,
        technician="missing",
    ),
    # The matrix sends JSON: the upload's own tests send the multipart form. A technician may
    # add photos (to their own visits; this one is not).
    RoleCase(
        "POST",
        "api/v1/visits/<pk>/photos",
        photos_path,
        lambda: {"caption": "no file"},
        admin_status=422,
        technician="missing",
    ),
    RoleCase("DELETE", "api/v1/visits/<pk>/photos/<pk>", photo_path, admin_status=204),
    RoleCase(
        "GET",
        "api/v1/visits/<pk>/report",
        lambda: f"{API}/visits/{_visit().pk}/report",
        staff_allowed=True,
        technician="missing",
    ),
    RoleCase(
        "POST",
        "api/v1/visits/<pk>/report/send",
        lambda: f"{API}/visits/{_visit().pk}/report/send",
        staff_allowed=True,
        admin_status=202,
        technician="denied",
    ),
]
