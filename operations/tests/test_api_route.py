"""GET /route: a technician's day in route order, with each stop's customer, property and
pools, in a fixed number of queries."""

import datetime

import pytest

from accounts.models import Role
from accounts.tests.factories import UserFactory
from conftest import client_for
from customers.tests.test_api_customers import errors_at
from ektor.tests.test_errors import assert_envelope
from operations.models import VisitKind
from operations.tests.factories import ServicePlanFactory, VisitFactory
from pools.tests.factories import PoolFactory

pytestmark = pytest.mark.django_db

ROUTE = "/api/v1/route"
DAY = datetime.date(2026, 1, 7)


@pytest.fixture
def tech():
    return UserFactory(role=Role.TECHNICIAN, username="tina")


def stop(tech, position, **fields):
    plan = ServicePlanFactory(technician=tech, route_position=position)
    return VisitFactory(plan=plan, route_position=position, **{"scheduled_date": DAY, **fields})


def test_the_route_in_order_with_customer_property_and_pools(tech, staff_client_api):
    second = stop(tech, 2)
    first = stop(tech, 1)
    tied = stop(tech, 2)
    # A work order at the first stop's property: its pools are the property's active ones.
    prop = first.property
    spa = PoolFactory(property=prop, kind="spa", name="Spa", access_notes="Side gate")
    PoolFactory(property=prop, is_active=False)
    order = VisitFactory(
        plan=None,
        company=prop.company,
        kind=VisitKind.WORK_ORDER,
        property=prop,
        customer=prop.customer,
        technician=tech,
        scheduled_date=DAY,
        route_position=5,
    )
    stop(tech, 0, scheduled_date=DAY + datetime.timedelta(days=7))  # another day
    VisitFactory(scheduled_date=DAY)  # nobody's
    response = staff_client_api.get(ROUTE, {"date": "2026-01-07", "technician_id": tech.pk})
    assert response.status_code == 200, response.content
    route = response.json()
    assert [s["visit_id"] for s in route] == [first.pk, second.pk, tied.pk, order.pk]
    head = route[0]
    customer = prop.customer
    assert head == {
        "visit_id": first.pk,
        "route_position": 1,
        "status": "scheduled",
        "kind": "route",
        "scheduled_date": "2026-01-07",
        "customer": {
            "customer_id": customer.pk,
            "name": f"{customer.first_name} {customer.last_name}",
            "phone": customer.phone,
        },
        "property": {
            "property_id": prop.pk,
            "label": prop.label,
            "address1": prop.address1,
            "address2": prop.address2,
            "city": prop.city,
            "state": prop.state,
            "postal_code": prop.postal_code,
        },
        "pools": [
            {
                "pool_id": first.plan.pool_id,
                "name": first.plan.pool.name,
                "kind": "pool",
                "volume_gallons": 15000,
                "access_notes": None,
            }
        ],
    }
    assert [p["pool_id"] for p in route[3]["pools"]] == [first.plan.pool_id, spa.pk]
    assert route[3]["kind"] == "work_order"


@pytest.mark.parametrize("stops", [2, 20])
def test_the_query_count_does_not_grow_with_the_stops(tech, django_assert_num_queries, stops):
    for position in range(stops):
        stop(tech, position)
    prop = PoolFactory().property
    VisitFactory(
        plan=None,
        company=prop.company,
        property=prop,
        customer=prop.customer,
        technician=tech,
        scheduled_date=DAY,
    )
    client = client_for(tech)
    # session + user, the visits (with customer, property, plan and pool), the work order's pools.
    with django_assert_num_queries(3):
        response = client.get(ROUTE, {"date": "2026-01-07"})
    assert len(response.json()) == stops + 1


def test_a_technician_gets_their_own_route_only(tech):
    mine = stop(tech, 1)
    other = UserFactory(role=Role.TECHNICIAN)
    stop(other, 1)
    client = client_for(tech)
    assert [s["visit_id"] for s in client.get(ROUTE, {"date": "2026-01-07"}).json()] == [mine.pk]
    own = client.get(ROUTE, {"date": "2026-01-07", "technician_id": tech.pk})
    assert [s["visit_id"] for s in own.json()] == [mine.pk]
    body = assert_envelope(
        client.get(ROUTE, {"date": "2026-01-07", "technician_id": other.pk}), 403
    )
    assert (body["message"], body["details"]["reason"]) == (
        "A technician sees their own route only",
        "not_your_route",
    )


def test_the_office_names_a_technician(admin_client_api, tech):
    body = assert_envelope(admin_client_api.get(ROUTE, {"date": "2026-01-07"}), 422)
    assert body["details"]["errors"] == [
        {
            "loc": ["query", "technician_id"],
            "msg": "Whose route: give the technician_id of a technician of the company",
            "type": "missing",
        }
    ]
    clerk = UserFactory(role=Role.STAFF)
    body = assert_envelope(
        admin_client_api.get(ROUTE, {"date": "2026-01-07", "technician_id": clerk.pk}), 422
    )
    assert body["details"]["errors"][0]["msg"] == (
        f"User {clerk.pk} is not a technician of this company"
    )
    assert (
        admin_client_api.get(ROUTE, {"date": "2026-01-07", "technician_id": tech.pk}).json() == []
    )


def test_a_bad_query_is_422(admin_client_api):
    body = assert_envelope(admin_client_api.get(ROUTE), 422)
    assert errors_at(body) == [["query", "date"]]
    body = assert_envelope(
        admin_client_api.get(ROUTE, {"date": "2026-13-01", "technician_id": "x"}), 422
    )
    assert sorted(errors_at(body)) == [["query", "date"], ["query", "technician_id"]]
