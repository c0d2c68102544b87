"""/api/v1/requests: the contract's fields, filters, the actions and their errors in the
envelope, and a list whose queries do not grow with its rows."""

import datetime

import pytest
from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import UserFactory
from billing.tests.conftest import make_invoice
from core.context import Ctx
from customers.tests.factories import CustomerFactory, PropertyFactory
from support import services
from support.models import CustomerRequest
from support.tests.factories import answered_request, closed_request, make_request

pytestmark = pytest.mark.django_db

URL = "/api/v1/requests"

FIELDS = [
    "request_id",
    "number",
    "kind",
    "channel",
    "customer_id",
    "property_id",
    "invoice_id",
    "subject",
    "description",
    "status",
    "assignee_id",
    "received_at",
    "due_date",
    "answered_at",
    "response",
    "closed_at",
    "is_overdue",
    "created_at",
    "updated_at",
]


def error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "details", "timestamp"}
    return body


def test_staff_log_a_phone_complaint_with_its_number_and_deadline(staff_client_api, company):
    company.time_zone, company.request_due_days = "America/Puerto_Rico", {"complaint": 10}
    company.save(update_fields=["time_zone", "request_due_days"])
    prop = PropertyFactory()
    body = {
        "kind": "complaint",
        "channel": "phone",
        "customer_id": prop.customer_id,
        "property_id": prop.pk,
        "subject": "The technician skipped the visit",
        "received_at": "2026-01-30T16:00:00-04:00",  # a Friday in Puerto Rico
    }
    response = staff_client_api.post(URL, body, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert list(created) == FIELDS
    assert created["number"] == "REQ-2026-000001"
    assert (created["status"], created["due_date"], created["is_overdue"]) == (
        "open",
        "2026-02-13",
        True,
    )
    assert (created["assignee_id"], created["response"], created["description"]) == (
        None,
        None,
        "",
    )
    got = staff_client_api.get(f"{URL}/{created['request_id']}").json()
    assert got == created


def test_the_admin_assigns_answers_closes_and_reopens(admin_client_api, admin_user):
    request = make_request()
    path = f"{URL}/{request.pk}"
    assigned = admin_client_api.post(
        f"{path}/assign", {"assignee_id": admin_user.pk}, format="json"
    )
    assert (assigned.json()["status"], assigned.json()["assignee_id"]) == (
        "in_progress",
        admin_user.pk,
    )
    answered = admin_client_api.post(f"{path}/answer", {"response": "Fixed"}, format="json")
    assert answered.json()["status"] == "answered" and answered.json()["answered_at"]
    closed = admin_client_api.post(f"{path}/close").json()
    assert closed["status"] == "closed" and closed["closed_at"]
    again = error(admin_client_api.post(f"{path}/close"), 409)
    assert again["details"]["reason"] == "invalid_transition"
    assert again["details"]["from"] == "closed" and again["details"]["to"] == "closed"
    assert again["message"] == (
        f"Request {request.number} is closed: it cannot close from closed to closed "
        "(only from answered)"
    )
    reopened = admin_client_api.post(f"{path}/reopen").json()
    assert (reopened["status"], reopened["closed_at"]) == ("in_progress", None)


@pytest.mark.parametrize(
    ("make", "action", "body"),
    [
        (make_request, "close", None),
        (make_request, "reopen", None),
        (answered_request, "answer", {"response": "Again"}),
        (closed_request, "assign", "assignee"),
    ],
)
def test_wrong_transitions_are_409_invalid_transition(
    admin_client_api, admin_user, make, action, body
):
    request = make()
    body = {"assignee_id": admin_user.pk} if body == "assignee" else body
    response = admin_client_api.post(f"{URL}/{request.pk}/{action}", body, format="json")
    assert error(response, 409)["details"]["reason"] == "invalid_transition"
    assert CustomerRequest.unscoped.get(pk=request.pk).status == request.status


def test_bad_bodies_are_422_with_their_fields(admin_client_api):
    customer = CustomerFactory()
    body = {"kind": "rant", "customer_id": customer.pk, "subject": ""}
    locs = {
        tuple(e["loc"])
        for e in error(admin_client_api.post(URL, body, format="json"), 422)["details"]["errors"]
    }
    assert locs == {("body", "kind"), ("body", "subject")}
    future = (timezone.now() + datetime.timedelta(days=1)).isoformat()
    body = {"kind": "petition", "customer_id": customer.pk, "subject": "x", "received_at": future}
    details = error(admin_client_api.post(URL, body, format="json"), 422)["details"]
    assert details["errors"][0]["loc"] == ["body", "received_at"]
    request = make_request()
    patch = admin_client_api.patch(f"{URL}/{request.pk}", {"status": "closed"}, format="json")
    assert error(patch, 422)["details"]["errors"][0]["loc"] == ["body", "status"]
    empty = admin_client_api.post(f"{URL}/{request.pk}/answer", {"response": ""}, format="json")
    assert error(empty, 422)["details"]["errors"][0]["loc"] == ["body", "response"]


def test_parties_are_checked(admin_client_api):
    customer = CustomerFactory()
    invoice = make_invoice()
    base = {"kind": "claim", "customer_id": customer.pk, "subject": "Billed twice"}
    mismatch = error(
        admin_client_api.post(URL, {**base, "invoice_id": invoice.pk}, format="json"), 400
    )
    assert mismatch["details"]["reason"] == "invoice_customer_mismatch"
    missing = error(admin_client_api.post(URL, {**base, "customer_id": 999999}, format="json"), 404)
    assert (missing["details"]["reason"], missing["message"]) == (
        "customer_not_found",
        "Customer not found",
    )
    unknown = error(admin_client_api.get(f"{URL}/999999"), 404)
    assert (unknown["details"]["reason"], unknown["message"]) == (
        "customerrequest_not_found",
        "Customer request not found",
    )
    nobody = admin_client_api.post(
        f"{URL}/{make_request().pk}/assign", {"assignee_id": 999999}, format="json"
    )
    assert error(nobody, 404)["details"]["reason"] == "user_not_found"


def test_a_claim_shows_its_invoice_disputed_in_the_api(admin_client_api):
    invoice = make_invoice()
    body = {
        "kind": "claim",
        "customer_id": invoice.customer_id,
        "invoice_id": invoice.pk,
        "subject": "Charged for a missed visit",
    }
    claim = admin_client_api.post(URL, body, format="json").json()
    assert admin_client_api.get(f"/api/v1/invoices/{invoice.pk}").json()["disputed"] is True
    admin_client_api.post(
        f"{URL}/{claim['request_id']}/answer", {"response": "Credited"}, format="json"
    )
    admin_client_api.post(f"{URL}/{claim['request_id']}/close")
    assert admin_client_api.get(f"/api/v1/invoices/{invoice.pk}").json()["disputed"] is False


def test_the_filters(staff_client_api, company):
    clerk = UserFactory(role=Role.STAFF)
    ana, ben = CustomerFactory(), CustomerFactory()
    old = timezone.now() - datetime.timedelta(days=60)
    late = make_request(customer=ana, kind="petition", received_at=old)
    assigned = make_request(customer=ben, kind="claim")
    services.request_assign(Ctx.system(company), request=assigned, assignee_id=clerk.pk)
    answered_late = answered_request(customer=ben, kind="petition", received_at=old)

    def ids(query: str) -> list[int]:
        response = staff_client_api.get(f"{URL}?{query}")
        assert response.status_code == 200, response.content
        return [r["request_id"] for r in response.json()]

    assert ids("overdue=true") == [late.pk]  # answered ones are never overdue
    assert ids("overdue=false") == [answered_late.pk, assigned.pk]
    assert ids("status=in_progress") == [assigned.pk]
    assert ids("kind=petition") == [answered_late.pk, late.pk]
    assert ids(f"customer_id={ana.pk}") == [late.pk]
    assert ids(f"assignee_id={clerk.pk}") == [assigned.pk]
    for bad in ("status=lost", "kind=x", "overdue=maybe", "customer_id=a", "overdue="):
        body = error(staff_client_api.get(f"{URL}?{bad}"), 422)
        assert body["details"]["errors"][0]["loc"][0] == "query"


@pytest.mark.parametrize("count", [1, 20])
def test_queries_do_not_grow_with_rows(staff_client_api, django_assert_num_queries, count):
    for _ in range(count):
        make_request()
    staff_client_api.get(URL)
    # Session with its user, the count, the page.
    with django_assert_num_queries(3):
        response = staff_client_api.get(f"{URL}?limit=200")
    assert len(response.json()) == count
    # One request: the session with its user, the row.
    request = make_request()
    with django_assert_num_queries(2):
        staff_client_api.get(f"{URL}/{request.pk}")
