"""/visits over HTTP: the envelope of each refusal, what a visit renders, who may do what, the
query counts of a visit and of a completion, a retried completion, and what a technician's
route shows of the customers."""

import datetime
from decimal import Decimal

import pytest

from accounts.models import Role
from accounts.tests.factories import UserFactory
from catalog.models import Item, StockMovement
from catalog.tests.factories import stocked
from conftest import client_for
from customers.tests.factories import CustomerFactory, PropertyFactory
from operations.models import Photo, Reading, Visit
from operations.tests.factories import ServicePlanFactory, VisitFactory
from pools.tests.factories import PoolFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/visits"


def error(response, status: int, reason: str | None = None) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == ("REQUEST_VALIDATION_ERROR" if status == 422 else f"HTTP_{status}")
    assert body["details"].get("reason") == reason
    return body


@pytest.fixture
def tech_client(technician_user):
    return client_for(technician_user)


@pytest.fixture
def visit(technician_user):
    return VisitFactory(plan__technician=technician_user)


def completion(visit, *items) -> dict:
    pool_id = visit.plan.pool_id
    return {
        "readings": [
            {
                "pool_id": pool_id,
                "free_chlorine": 3.5,
                "combined_chlorine": 0.2,
                "ph": 7.8,
                "total_alkalinity": 70,
                "calcium_hardness": 250,
                "cyanuric_acid": 40,
                "salt": None,
                "temperature_f": 82,
                "tds": 900,
                "phosphates": None,
            }
        ],
        "lines": [{"item_id": item.pk, "quantity": "2", "pool_id": pool_id} for item in items],
        "checklist": [{"task": "brush", "done": True}],
        "customer_notes": "Filter cleaned.",
        "office_notes": "Pump seal weeping.",
    }


def test_a_technician_completes_their_stop_and_gets_it_back_whole(
    tech_client, visit, ctx, django_assert_num_queries
):
    chlorine = stocked(ctx, 10, kind="chemical", name="Liquid chlorine", price=Decimal("4.50"))
    response = tech_client.post(
        f"{URL}/{visit.pk}/complete", completion(visit, chlorine), format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["visit_id"], body["status"], body["plan_id"]) == (
        visit.pk,
        "completed",
        visit.plan_id,
    )
    assert body["customer_id"] == visit.customer_id and body["property_id"] == visit.property_id
    assert body["checklist"] == [{"task": "brush", "done": True}]
    assert (body["customer_notes"], body["office_notes"]) == (
        "Filter cleaned.",
        "Pump seal weeping.",
    )
    [reading] = body["readings"]
    assert reading["ph"] == "7.80" and reading["salt"] is None
    # pH 7.8 at 82 °F, CH 250, carbonate 70 - 40 x 0.35 = 56: 7.8 + 0.675 + 2.0 + 1.744 - 12.1.
    assert reading["lsi"] == "0.12"
    assert reading["flags"] == ["ta_low"]
    assert reading["suggestions"] == [
        {
            "chemical": "sodium_bicarbonate",
            "amount": "6.3",
            "unit": "lb",
            "reason": "Total alkalinity 70 ppm is below 80 ppm: raise it to 100 ppm",
        }
    ]
    [line] = body["lines"]
    movement = StockMovement.unscoped.get(kind="usage")
    assert line == {
        "line_id": line["line_id"],
        "item_id": chlorine.pk,
        "pool_id": visit.plan.pool_id,
        "description": "Liquid chlorine",
        "quantity": "2.000",
        "unit_price": "4.50",
        "taxable": True,
        "movement_id": movement.pk,
        "created_at": line["created_at"],
    }
    assert body["photos"] == []
    Photo.objects.create(
        company=visit.company,
        visit=visit,
        caption="Clear water",
        file_name="p.jpg",
        content_type="image/jpeg",
        width=10,
        height=10,
        size=100,
    )
    # The session, the visit, its readings, lines and photos.
    with django_assert_num_queries(5):
        got = tech_client.get(f"{URL}/{visit.pk}").json()
    assert got["readings"] == body["readings"] and got["lines"] == body["lines"]
    assert got["photos"] == [{"photo_id": Photo.unscoped.get().pk, "caption": "Clear water"}]


def test_the_query_count_of_a_completion(
    tech_client, ctx, technician_user, django_assert_num_queries
):
    """One pool's readings and stocked lines: 18 queries, whatever the number of lines (24 and
    one per item before: each item's stock written by its own UPDATE, four inserts of audit
    events, the answer's readings and lines read back, the report's savepoint). The session;
    the visit (found, then locked); its plan's pool, then the pools; the items; the visit's
    update; the readings; the items' stock (locked together, then written in one UPDATE), the
    movements, the catalog cache's version (a query with the tests' database cache); the lines;
    the customer's address (the company emails reports); every audit event of the completion
    in one insert; the answer's photos; the cache's version again on commit and the report's
    task, queued on commit."""

    def complete(lines: int, queries: int):
        visit = VisitFactory(plan__technician=technician_user)
        items = [stocked(ctx, 10, kind="chemical") for _ in range(lines)]
        with django_assert_num_queries(queries):
            response = tech_client.post(
                f"{URL}/{visit.pk}/complete", completion(visit, *items), format="json"
            )
        assert response.status_code == 200, response.content
        assert len(response.json()["lines"]) == lines

    complete(5, 18)
    complete(1, 18)


def test_readings_out_of_their_physical_range_are_422_at_their_index(tech_client, visit):
    body = completion(visit)
    body["readings"].append({"pool_id": visit.plan.pool_id, "ph": 15, "temperature_f": "hot"})
    response = tech_client.post(f"{URL}/{visit.pk}/complete", body, format="json")
    errors = error(response, 422)["details"]["errors"]
    assert errors == [
        {
            "loc": ["body", "readings", 1, "ph"],
            "msg": "Ensure this value is less than or equal to 14.",
            "type": "max_value",
        },
        {
            "loc": ["body", "readings", 1, "temperature_f"],
            "msg": "Input should be a valid number",
            "type": "invalid",
        },
    ]


def test_a_reading_of_another_propertys_pool_is_422_at_its_index(tech_client, visit):
    body = completion(visit)
    other = PoolFactory()
    body["readings"][0]["pool_id"] = other.pk
    errors = error(tech_client.post(f"{URL}/{visit.pk}/complete", body, format="json"), 422)
    assert errors["details"]["errors"] == [
        {
            "loc": ["body", "readings", 0, "pool_id"],
            "msg": f"Pool {other.pk} is not a pool of this visit's property",
            "type": "invalid_pool",
        }
    ]
    assert not Reading.unscoped.exists()


def test_insufficient_stock_refuses_the_completion_whole(tech_client, visit, ctx):
    scarce = stocked(ctx, 1, kind="part")
    response = tech_client.post(
        f"{URL}/{visit.pk}/complete", completion(visit, scarce), format="json"
    )
    body = error(response, 409, "insufficient_stock")
    assert body["message"] == f"Not enough stock of {scarce.sku}: 1.000 available, 2.000 needed"
    assert (body["details"]["item_id"], body["details"]["available"]) == (scarce.pk, "1.000")
    visit.refresh_from_db()
    assert visit.status == "scheduled" and not Reading.unscoped.exists()
    assert Item.objects.of(ctx).get(pk=scarce.pk).stock_quantity == 1


def test_a_retried_completion_with_its_key_completes_once(tech_client, visit, ctx):
    chlorine = stocked(ctx, 10, kind="chemical")
    body = completion(visit, chlorine)
    headers = {"Idempotency-Key": "stop-1"}
    first = tech_client.post(f"{URL}/{visit.pk}/complete", body, format="json", headers=headers)
    again = tech_client.post(f"{URL}/{visit.pk}/complete", body, format="json", headers=headers)
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Reading.unscoped.count() == 1
    assert StockMovement.unscoped.filter(kind="usage").count() == 1
    assert Item.objects.of(ctx).get(pk=chlorine.pk).stock_quantity == 8
    # Without the key, the retry is refused: the visit is completed.
    retried = tech_client.post(f"{URL}/{visit.pk}/complete", body, format="json")
    error(retried, 409, "visit_completed")


def test_the_stops_actions_and_their_refusals(tech_client, admin_client_api, visit):
    started = tech_client.post(f"{URL}/{visit.pk}/start")
    assert started.status_code == 200 and started.json()["status"] == "in_progress"
    assert started.json()["started_at"] is not None
    body = error(tech_client.post(f"{URL}/{visit.pk}/start"), 409, "invalid_transition")
    assert (
        body["message"] == f"Visit {visit.pk} is in_progress: it cannot start (only from scheduled)"
    )
    assert (body["details"]["from"], body["details"]["to"]) == ("in_progress", "in_progress")
    skipped = tech_client.post(
        f"{URL}/{visit.pk}/skip", {"reason": "gate_locked", "note": "No code"}, format="json"
    )
    assert skipped.json()["status"] == "skipped"
    assert (skipped.json()["skip_reason"], skipped.json()["skip_note"]) == (
        "gate_locked",
        "No code",
    )
    other = VisitFactory(plan=visit.plan)
    errors = error(
        tech_client.post(f"{URL}/{other.pk}/skip", {"reason": "bored"}, format="json"), 422
    )["details"]["errors"]
    assert errors[0]["loc"] == ["body", "reason"]
    cancelled = admin_client_api.post(
        f"{URL}/{other.pk}/cancel", {"reason": "Moved"}, format="json"
    )
    assert (cancelled.json()["status"], cancelled.json()["cancel_reason"]) == ("cancelled", "Moved")


def test_a_technician_acts_on_their_own_visits_only(tech_client, technician_user):
    theirs = VisitFactory(plan__technician=UserFactory(role=Role.TECHNICIAN))
    for path in ("", "/start", "/complete", "/skip"):
        response = (tech_client.get if not path else tech_client.post)(
            f"{URL}/{theirs.pk}{path}", {"reason": "dog"} if path == "/skip" else {}, format="json"
        )
        body = error(response, 404, "visit_not_found")
        assert body["message"] == "Visit not found"
    mine = VisitFactory(plan__technician=technician_user)
    body = error(
        tech_client.post(f"{URL}/{mine.pk}/cancel", {"reason": "x"}, format="json"),
        403,
        "permission_denied",
    )
    assert [v["visit_id"] for v in tech_client.get(URL).json()] == [mine.pk]


def test_staff_read_and_do_not_act(staff_client_api, visit):
    assert staff_client_api.get(f"{URL}/{visit.pk}").status_code == 200
    for action in ("start", "complete", "skip", "cancel"):
        error(
            staff_client_api.post(f"{URL}/{visit.pk}/{action}", {}, format="json"),
            403,
            "permission_denied",
        )


def test_the_office_makes_and_changes_a_work_order(admin_client_api, technician_user):
    prop = PropertyFactory()
    created = admin_client_api.post(
        URL,
        {
            "property_id": prop.pk,
            "scheduled_date": "2026-03-04",
            "technician_id": technician_user.pk,
            "title": "Green to clean",
            "office_notes": "Bring the vacuum",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["kind"], body["status"], body["customer_id"], body["plan_id"]) == (
        "work_order",
        "scheduled",
        prop.customer_id,
        None,
    )
    assert (body["readings"], body["lines"], body["checklist"], body["photos"]) == ([], [], [], [])
    changed = admin_client_api.patch(
        f"{URL}/{body['visit_id']}", {"scheduled_date": "2026-03-05"}, format="json"
    )
    assert changed.json()["scheduled_date"] == "2026-03-05"
    staff = UserFactory(role=Role.STAFF)
    errors = error(
        admin_client_api.patch(
            f"{URL}/{body['visit_id']}", {"technician_id": staff.pk}, format="json"
        ),
        422,
    )["details"]["errors"]
    assert errors == [
        {
            "loc": ["body", "technician_id"],
            "msg": "Not an active technician of the company",
            "type": "invalid_technician",
        }
    ]
    missing = admin_client_api.post(
        URL, {"property_id": 999999, "scheduled_date": "2026-03-04"}, format="json"
    )
    error(missing, 404, "property_not_found")


def test_a_completed_visit_is_not_changed_by_the_api(admin_client_api, visit):
    assert admin_client_api.post(f"{URL}/{visit.pk}/complete", {}, format="json").status_code == 200
    body = error(
        admin_client_api.patch(f"{URL}/{visit.pk}", {"title": "x"}, format="json"),
        409,
        "visit_completed",
    )
    assert "only an admin's correction in the back office changes it" in body["message"]
    error(
        admin_client_api.post(f"{URL}/{visit.pk}/cancel", {"reason": "x"}, format="json"),
        409,
        "visit_completed",
    )


def test_the_list_filters_and_reads_a_fixed_number_of_queries(
    admin_client_api, technician_user, django_assert_num_queries
):
    plan = ServicePlanFactory(technician=technician_user)
    early = VisitFactory(plan=plan, scheduled_date=datetime.date(2026, 3, 2))
    late = VisitFactory(plan=plan, scheduled_date=datetime.date(2026, 3, 9))
    other = VisitFactory(scheduled_date=datetime.date(2026, 3, 9), kind="work_order")
    ids = lambda query: [v["visit_id"] for v in admin_client_api.get(f"{URL}?{query}").json()]  # noqa: E731
    assert ids("") == [other.pk, late.pk, early.pk]
    assert ids("date=2026-03-09") == [other.pk, late.pk]
    assert ids("from_date=2026-03-03&to_date=2026-03-31") == [other.pk, late.pk]
    assert ids(f"technician_id={technician_user.pk}") == [late.pk, early.pk]
    assert ids(f"plan_id={plan.pk}&status=scheduled") == [late.pk, early.pk]
    assert ids(f"customer_id={other.customer_id}") == [other.pk]
    assert ids(f"property_id={early.property_id}&kind=route") == [late.pk, early.pk]
    assert ids("kind=work_order") == [other.pk]
    for bad in ("date=2026-02-30", "status=done", "technician_id=-1", "kind=x"):
        error(admin_client_api.get(f"{URL}?{bad}"), 422)
    for _ in range(3):
        VisitFactory()
    # The session, the count, the page, its readings, lines and photos: whatever the page size.
    with django_assert_num_queries(6):
        response = admin_client_api.get(URL)
    assert response["X-Total-Count"] == "6"


# --- what a technician's route shows ------------------------------------------------------


def test_a_technician_lists_exactly_their_routes_customers(tech_client, technician_user):
    visited = VisitFactory(plan__technician=None, technician=technician_user)
    planned = ServicePlanFactory(technician=technician_user)
    VisitFactory()  # someone else's stop
    CustomerFactory()  # a customer with no visit at all
    listed = tech_client.get("/api/v1/customers")
    assert listed["X-Total-Count"] == "2"
    assert {c["customer_id"] for c in listed.json()} == {
        visited.customer_id,
        planned.pool.property.customer_id,
    }
    pools = {p["pool_id"] for p in tech_client.get("/api/v1/pools").json()}
    assert pools == {visited.plan.pool_id, planned.pool_id}
    assert tech_client.get(f"/api/v1/customers/{visited.customer_id}").status_code == 200
    elsewhere = Visit.unscoped.exclude(technician=technician_user).get()
    error(tech_client.get(f"/api/v1/customers/{elsewhere.customer_id}"), 404, "customer_not_found")
