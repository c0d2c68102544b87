"""/service-plans and POST /schedule: contract shape, filters, strict input, the services' rules
in the envelope."""

import datetime

import pytest

from accounts.models import Role
from accounts.tests.factories import UserFactory
from conftest import client_for
from customers.tests.test_api_customers import errors_at
from ektor.tests.test_errors import ISO_Z, assert_envelope
from operations.models import PlanPause, ServicePlan, Visit
from operations.tests.factories import ServicePlanFactory
from pools.tests.factories import PoolFactory
from tenancy.tests.factories import default_company

pytestmark = pytest.mark.django_db

PLANS = "/api/v1/service-plans"
SCHEDULE = "/api/v1/schedule"
DAY = datetime.timedelta(days=1)
PLAN_FIELDS = {
    "plan_id",
    "pool_id",
    "property_id",
    "customer_id",
    "technician_id",
    "frequency",
    "weekday",
    "start_date",
    "end_date",
    "rate_type",
    "rate",
    "chemicals",
    "billing_timing",
    "status",
    "paused_until",
    "route_position",
    "notes",
    "created_at",
    "updated_at",
}


def plan_body(pool, **overrides) -> dict:
    return {"pool_id": pool.pk, "weekday": 2, "start_date": "2026-01-05", "rate": "160"} | overrides


def test_create_answers_the_contract_fields(admin_client_api):
    tech = UserFactory(role=Role.TECHNICIAN)
    pool = PoolFactory()
    body = {"technician_id": tech.pk, "frequency": "biweekly", "route_position": 4}
    response = admin_client_api.post(PLANS, plan_body(pool, **body), format="json")
    assert response.status_code == 201, response.content
    plan = response.json()
    assert set(plan) == PLAN_FIELDS
    assert plan["plan_id"] == ServicePlan.unscoped.get().pk
    assert (plan["property_id"], plan["customer_id"]) == (
        pool.property_id,
        pool.property.customer_id,
    )
    assert (plan["technician_id"], plan["frequency"], plan["route_position"]) == (
        tech.pk,
        "biweekly",
        4,
    )
    assert (plan["rate"], plan["rate_type"], plan["chemicals"], plan["billing_timing"]) == (
        "160.00",
        "per_month",
        "included",
        "advance",
    )
    assert (plan["status"], plan["paused_until"], plan["end_date"]) == ("active", None, None)
    assert plan["start_date"] == "2026-01-05" and ISO_Z.match(plan["created_at"])


def test_create_checks_shape_then_rules(admin_client_api):
    pool = PoolFactory()
    bad = {"weekday": 7, "rate": "-1", "frequency": "daily", "start_date": "2026-02-30"}
    body = assert_envelope(admin_client_api.post(PLANS, plan_body(pool, **bad), format="json"), 422)
    assert sorted(errors_at(body)) == [
        ["body", "frequency"],
        ["body", "rate"],
        ["body", "start_date"],
        ["body", "weekday"],
    ]
    clerk = UserFactory(role=Role.STAFF)
    response = admin_client_api.post(PLANS, plan_body(pool, technician_id=clerk.pk), format="json")
    body = assert_envelope(response, 422)
    assert body["details"]["errors"] == [
        {
            "loc": ["body", "technician_id"],
            "msg": f"User {clerk.pk} is not an active technician of this company",
            "type": "not_a_technician",
        }
    ]
    ends_early = plan_body(pool, end_date="2026-01-01")
    body = assert_envelope(admin_client_api.post(PLANS, ends_early, format="json"), 422)
    assert body["details"]["errors"][0]["msg"] == (
        "The end date 2026-01-01 is before the start date 2026-01-05"
    )
    missing = plan_body(pool, pool_id=999999)
    body = assert_envelope(admin_client_api.post(PLANS, missing, format="json"), 404)
    assert (body["message"], body["details"]["reason"]) == ("Pool not found", "pool_not_found")
    assert not ServicePlan.unscoped.exists()


def test_list_filters(staff_client_api):
    tech = UserFactory(role=Role.TECHNICIAN)
    first = ServicePlanFactory(technician=tech)
    second = ServicePlanFactory(pool__property=first.pool.property)
    other = ServicePlanFactory(status="paused")
    listed = staff_client_api.get(PLANS)
    assert [p["plan_id"] for p in listed.json()] == [other.pk, second.pk, first.pk]
    assert listed["X-Total-Count"] == "3"
    queries = {
        "customer_id": (first.pool.property.customer_id, [second.pk, first.pk]),
        "property_id": (first.pool.property_id, [second.pk, first.pk]),
        "pool_id": (second.pool_id, [second.pk]),
        "technician_id": (tech.pk, [first.pk]),
        "status": ("paused", [other.pk]),
    }
    for name, (value, expected) in queries.items():
        assert [p["plan_id"] for p in staff_client_api.get(PLANS, {name: value}).json()] == expected
    body = assert_envelope(staff_client_api.get(PLANS, {"status": "asleep", "pool_id": "x"}), 422)
    assert sorted(errors_at(body)) == [["query", "pool_id"], ["query", "status"]]


def test_a_plan_past_its_end_reads_as_ended(staff_client_api):
    today = default_company().today()
    plan = ServicePlanFactory(start_date=today - 30 * DAY, end_date=today - DAY)
    assert staff_client_api.get(f"{PLANS}/{plan.pk}").json()["status"] == "ended"
    assert [p["plan_id"] for p in staff_client_api.get(PLANS, {"status": "ended"}).json()] == [
        plan.pk
    ]


@pytest.mark.parametrize("rows", [3, 30])
def test_list_query_count_does_not_grow(staff_client_api, django_assert_num_queries, rows):
    ServicePlanFactory.create_batch(rows)
    # session + user, the status refresh (nothing stale: one query), the count, the page.
    with django_assert_num_queries(4):
        response = staff_client_api.get(PLANS, {"limit": 200, "status": "active"})
    assert len(response.json()) == rows


def test_get_404_and_422(staff_client_api):
    body = assert_envelope(staff_client_api.get(f"{PLANS}/999999"), 404)
    assert (body["message"], body["details"]["reason"]) == (
        "Service plan not found",
        "plan_not_found",
    )
    body = assert_envelope(staff_client_api.get(f"{PLANS}/abc"), 422)
    assert errors_at(body) == [["path", "plan_id"]]


def test_patch_changes_the_given_fields_only(admin_client_api):
    plan = ServicePlanFactory(notes="Gate code 12")
    response = admin_client_api.patch(
        f"{PLANS}/{plan.pk}", {"rate": "175.5", "weekday": 4}, format="json"
    )
    assert response.status_code == 200, response.content
    assert (response.json()["rate"], response.json()["weekday"]) == ("175.50", 4)
    assert response.json()["notes"] == "Gate code 12"
    body = assert_envelope(
        admin_client_api.patch(f"{PLANS}/{plan.pk}", {"pool_id": PoolFactory().pk}, format="json"),
        422,
    )
    assert body["details"]["errors"][0]["msg"] == "This field cannot be changed here"
    body = assert_envelope(admin_client_api.patch(f"{PLANS}/{plan.pk}", {}, format="json"), 400)
    assert body["details"]["reason"] == "no_fields_to_update"


def test_pause_resume_end_and_their_refusals(admin_client_api):
    today = default_company().today()
    plan = ServicePlanFactory()
    path = f"{PLANS}/{plan.pk}"
    until = (today + 6 * DAY).isoformat()
    paused = admin_client_api.post(f"{path}/pause", {"until": until}, format="json")
    assert paused.status_code == 200, paused.content
    assert (paused.json()["status"], paused.json()["paused_until"]) == ("paused", until)
    assert PlanPause.unscoped.get().starts_on == today
    body = assert_envelope(admin_client_api.post(f"{path}/pause", {}, format="json"), 409)
    assert (
        body["message"]
        == f"Service plan {plan.pk} is paused: it cannot pause it (paused to paused)"
    )
    assert body["details"]["reason"] == "invalid_transition"
    resumed = admin_client_api.post(f"{path}/resume", format="json")
    assert (resumed.json()["status"], resumed.json()["paused_until"]) == ("active", None)
    body = assert_envelope(admin_client_api.post(f"{path}/resume", format="json"), 409)
    assert "is active: it cannot resume it" in body["message"]
    body = assert_envelope(admin_client_api.post(f"{path}/end", {}, format="json"), 422)
    assert errors_at(body) == [["body", "end_date"]]
    last = (today + 30 * DAY).isoformat()
    ended = admin_client_api.post(f"{path}/end", {"end_date": last}, format="json").json()
    assert (ended["status"], ended["end_date"]) == ("active", last)
    body = assert_envelope(
        admin_client_api.post(f"{path}/pause", {"until": "2020-01-01"}, format="json"), 422
    )
    assert body["details"]["errors"][0]["msg"] == f"until (2020-01-01) is before today ({today})"


def test_schedule_creates_the_visits_once(admin_client_api):
    ServicePlanFactory()
    body = {"from": "2026-01-01", "to": "2026-01-31"}
    response = admin_client_api.post(SCHEDULE, body, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"created": 4, "existing": 0}
    assert admin_client_api.post(SCHEDULE, body, format="json").json() == {
        "created": 0,
        "existing": 4,
    }
    assert Visit.unscoped.count() == 4


def test_schedule_range_errors_are_422(admin_client_api):
    long = {"from": "2026-01-01", "to": "2026-03-04"}
    body = assert_envelope(admin_client_api.post(SCHEDULE, long, format="json"), 422)
    assert body["details"]["errors"] == [
        {
            "loc": ["body", "to"],
            "msg": "The range is 63 days; at most 62 are scheduled at once",
            "type": "range",
        }
    ]
    backwards = {"from": "2026-01-02", "to": "2026-01-01"}
    body = assert_envelope(admin_client_api.post(SCHEDULE, backwards, format="json"), 422)
    assert body["details"]["errors"][0]["msg"] == "to (2026-01-01) is before from (2026-01-02)"
    body = assert_envelope(admin_client_api.post(SCHEDULE, {"from": "x"}, format="json"), 422)
    assert sorted(errors_at(body)) == [["body", "from"], ["body", "to"]]


def test_a_technician_reads_only_their_own_plans():
    tech = UserFactory(role=Role.TECHNICIAN)
    mine = ServicePlanFactory(technician=tech)
    other = ServicePlanFactory()
    client = client_for(tech)
    assert [p["plan_id"] for p in client.get(PLANS).json()] == [mine.pk]
    assert client.get(f"{PLANS}/{other.pk}").status_code == 404
    assert client.post(f"{PLANS}/{mine.pk}/pause", {}, format="json").status_code == 403
