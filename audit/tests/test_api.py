"""GET /audit-events: the contract's shape and filters, strict query values, read only."""

import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.tests.factories import UserFactory
from audit.models import AuditEvent
from audit.tests.factories import make_event
from billing.tests.conftest import make_invoice
from conftest import client_for
from core.context import Ctx
from customers.tests.factories import CustomerFactory
from customers.tests.test_api_customers import errors_at
from ektor.tests.test_errors import ISO_Z, assert_envelope
from tenancy.models import Role

pytestmark = pytest.mark.django_db

URL = "/api/v1/audit-events"
FIELDS = {
    "event_id",
    "at",
    "actor_id",
    "actor",
    "action",
    "object_type",
    "object_id",
    "changes",
    "request_id",
}


def test_an_api_write_is_listed_with_its_actor_request_id_and_diff(admin_client_api, admin_user):
    customer = CustomerFactory(first_name="Ana")
    response = admin_client_api.patch(
        f"/api/v1/customers/{customer.pk}", {"first_name": "Anita"}, format="json"
    )
    assert response.status_code == 200, response.content
    listed = admin_client_api.get(URL, {"object_type": "customer", "object_id": customer.pk})
    assert listed["X-Total-Count"] == "1"
    (event,) = listed.json()
    assert set(event) == FIELDS
    assert ISO_Z.match(event["at"])
    assert event == {
        **event,
        "actor_id": admin_user.pk,
        "actor": "boss",
        "action": "update",
        "object_type": "customer",
        "object_id": customer.pk,
        "changes": {"first_name": ["Ana", "Anita"]},
        "request_id": response["X-Request-Id"],
    }


def test_state_changes_have_their_own_names_and_money_keeps_its_decimals(admin_client_api):
    invoice = make_invoice(status="draft", total="30.00")
    admin_client_api.post(f"/api/v1/invoices/{invoice.pk}/send")
    paid = admin_client_api.post(
        "/api/v1/payments", {"invoice_id": invoice.pk, "amount": "30"}, format="json"
    )
    assert paid.status_code == 201, paid.content
    history = admin_client_api.get(URL, {"object_type": "invoice", "object_id": invoice.pk}).json()
    assert [e["action"] for e in history] == ["pay", "send", "create"]
    assert history[0]["changes"]["status"] == ["sent", "paid"]
    assert history[2]["changes"]["total"] == [None, "30.00"]
    assert history[2]["actor"] == "system"
    (payment,) = admin_client_api.get(URL, {"object_type": "payment"}).json()
    assert payment["changes"]["amount"] == [None, "30.00"]


def test_filters_by_actor_action_and_time(admin_client_api, admin_user, staff_user, company):
    mine = make_event(Ctx.for_user(admin_user, company=company), "void", ("invoice", 3))
    make_event(Ctx.for_user(staff_user, company=company), "void", ("invoice", 4))
    make_event(Ctx.for_user(admin_user, company=company), "send", ("invoice", 3))
    ids = lambda **query: [e["event_id"] for e in admin_client_api.get(URL, query).json()]  # noqa: E731
    assert ids(actor_id=admin_user.pk, action="void") == [mine.pk]
    old = make_event(action="create", target=("invoice", 3))
    AuditEvent.objects.filter(pk=old.pk).update(
        at=datetime.datetime(2026, 1, 10, 23, 30, tzinfo=datetime.UTC)
    )
    assert ids(to="2026-01-10") == [old.pk]  # a date is the whole day, in UTC
    assert ids(to="2026-01-10T23:30:00Z") == []  # `to` is before the moment
    assert ids(**{"from": "2026-01-10T23:30:00Z", "to": "2026-01-11"}) == [old.pk]
    today = timezone.now().date().isoformat()
    assert old.pk not in ids(**{"from": today})
    assert ids(**{"from": today, "action": "void"}) == [mine.pk + 1, mine.pk]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("object_id", "-1"),
        ("object_id", "abc"),
        ("actor_id", "0"),
        ("action", ""),
        ("object_type", "x" * 101),
        ("from", "2026-13-01"),
        ("from", "yesterday"),
        ("to", "2026-01-10T10:00:00"),  # no time zone: ambiguous
        ("limit", "0"),
    ],
)
def test_bad_query_values_are_422(admin_client_api, name, value):
    body = assert_envelope(admin_client_api.get(URL, {name: value}), 422)
    assert errors_at(body) == [["query", name]]


def test_a_moment_without_a_zone_is_explained(admin_client_api):
    body = assert_envelope(admin_client_api.get(URL, {"from": "2026-01-10 10:00"}), 422)
    assert body["details"]["errors"][0]["msg"] == (
        "Input should be a date (YYYY-MM-DD) or a timestamp with its time zone "
        "(YYYY-MM-DDTHH:MM:SSZ)"
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("from", "0001-01-01T00:00:00+14:00"),  # in UTC, a day before the calendar's first
        ("to", "9999-12-31T23:59:59-12:00"),  # in UTC, a day after its last
    ],
)
def test_a_moment_beyond_the_calendar_in_utc_is_422(admin_client_api, name, value):
    body = assert_envelope(admin_client_api.get(URL, {name: value}), 422)
    assert errors_at(body) == [["query", name]]
    assert body["details"]["errors"][0]["msg"] == (
        "Input should be a moment from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z"
    )


def test_the_calendars_last_day_as_to_bounds_nothing(admin_client_api, admin_user, company):
    # Its end would be the next day's first moment, which no date holds.
    event = make_event(Ctx.for_user(admin_user, company=company), "void", ("invoice", 3))
    listed = admin_client_api.get(URL, {"from": "0001-01-01", "to": "9999-12-31"})
    assert listed.status_code == 200, listed.content
    assert [e["event_id"] for e in listed.json()] == [event.pk]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_events_cannot_be_written_changed_or_deleted(admin_client_api, method):
    event = make_event(changes={"first_name": [None, "Ana"]})
    before = AuditEvent.objects.count()
    response = getattr(admin_client_api, method)(URL, {"action": "x"}, format="json")
    assert_envelope(response, 405)
    event.refresh_from_db()
    assert (event.action, event.changes) == ("create", {"first_name": [None, "Ana"]})
    assert AuditEvent.objects.count() == before
    # There is no route to one event at all.
    assert_envelope(getattr(admin_client_api, method)(f"{URL}/{event.pk}"), 404)


def test_an_admin_who_is_not_an_owner_reads_the_trail_too(admin_user):
    make_event(changes={"first_name": [None, "Ana"]})
    plain_admin = UserFactory(username="admin2", role=Role.ADMIN)
    response = client_for(plain_admin).get(URL)
    assert response.status_code == 200, response.content
    assert [e["changes"] for e in response.json()] == [{"first_name": [None, "Ana"]}]


def test_staff_cannot_read_the_trail(staff_client_api):
    body = assert_envelope(staff_client_api.get(URL), 403)
    assert body["details"]["reason"] == "permission_denied"


@pytest.mark.parametrize("rows", [5, 60])
def test_list_query_count_does_not_grow_with_the_page(
    admin_client_api, django_assert_num_queries, rows
):
    with transaction.atomic():
        for n in range(rows):
            make_event(target=("customer", n + 1))
    # session + user, the count (a filtered list always counts), the page.
    with django_assert_num_queries(3):
        response = admin_client_api.get(URL, {"limit": 200, "object_type": "customer"})
    assert len(response.json()) == rows
    assert response.json()[0]["event_id"] > response.json()[-1]["event_id"]  # newest first
