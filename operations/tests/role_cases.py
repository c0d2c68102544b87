"""The operations for the role matrix (tests/test_role_matrix.py): the water calculator is for
every member, technicians first; a visit's photos and report are for the office and the
visit's own technician (the visits here have none: a technician finds them missing)."""

from ektor.testing import RoleCase

API = "/api/v1"

LSI_BODY = {"ph": 7.6, "temperature_f": 76, "calcium_hardness": 200, "total_alkalinity": 100}


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


CASES = [
    RoleCase(
        "POST", "api/v1/water/lsi", lambda: f"{API}/water/lsi", lambda: LSI_BODY, staff_allowed=True
    ),
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
