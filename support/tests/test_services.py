"""The requests' rules: numbering, fields, parties, every transition and every refusal, and the
claim that keeps its invoice disputed."""

import datetime

import pytest
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.models import Role
from accounts.tests.factories import UserFactory
from audit.models import AuditEvent
from billing.tests.conftest import make_invoice
from core.context import Ctx
from core.errors import ApplicationError
from customers.tests.factories import CustomerFactory, PropertyFactory
from support import services
from support.models import RequestStatus
from support.tests.factories import answered_request, closed_request, make_request
from tenancy.tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db


def refused(call) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        call()
    return caught.value


def events(request) -> list[tuple[str, dict]]:
    rows = AuditEvent.objects.filter(object_type="customerrequest", object_id=request.pk)
    return [(e.action, e.changes) for e in rows.order_by("pk")]


# --- numbering ----------------------------------------------------------------------------


def test_numbers_run_per_company_and_year():
    first = make_request(received_at=timezone.make_aware(datetime.datetime(2025, 12, 31, 9)))
    second = make_request(received_at=timezone.make_aware(datetime.datetime(2026, 1, 2, 9)))
    third = make_request(received_at=timezone.make_aware(datetime.datetime(2026, 1, 3, 9)))
    other = CompanyFactory(slug="other")
    elsewhere = make_request(customer=CustomerFactory(company=other))
    assert [first.number, second.number, third.number] == [
        "REQ-2025-000001",
        "REQ-2026-000001",
        "REQ-2026-000002",
    ]
    assert elsewhere.number == f"REQ-{timezone.now().year}-000001"


def test_a_refused_request_uses_no_number(ctx):
    customer = CustomerFactory()
    with pytest.raises(ApplicationError):
        services.request_create(
            ctx,
            kind="claim",
            channel="phone",
            customer_id=customer.pk,
            subject="x",
            invoice_id=999999,
        )
    assert make_request(customer=customer).number.endswith("-000001")


# --- fields and parties ---------------------------------------------------------------------


def test_the_fields_rules_name_each_field(ctx):
    customer = CustomerFactory()
    error = refused(
        lambda: services.request_create(
            ctx,
            kind="rant",
            channel="pigeon",
            customer_id=customer.pk,
            subject="   ",
            received_at=timezone.now() + datetime.timedelta(hours=1),
        )
    )
    assert error.status == 422
    assert {(f.field, f.msg) for f in error.fields} == {
        ("kind", "Kind must be one of petition, complaint, claim, service_request"),
        ("channel", "Channel must be one of phone, email, web, in_person, api"),
        ("subject", "A subject is required"),
        ("received_at", "received_at is in the future: log a request once received"),
    }


def test_the_property_and_invoice_must_be_the_customers(ctx):
    customer = CustomerFactory(first_name="Ana", last_name="Rivera")
    someone_else = PropertyFactory(label="Casa Sol", address1="1 Calle Sol")
    base = {"kind": "claim", "channel": "phone", "customer_id": customer.pk, "subject": "Bill"}
    error = refused(lambda: services.request_create(ctx, **base, property_id=someone_else.pk))
    assert (error.status, str(error.reason)) == (400, "property_customer_mismatch")
    assert error.message == "Property Casa Sol (1 Calle Sol) is not Ana Rivera's"
    invoice = make_invoice(prop=someone_else)
    error = refused(lambda: services.request_create(ctx, **base, invoice_id=invoice.pk))
    assert (error.status, str(error.reason)) == (400, "invoice_customer_mismatch")
    assert error.message == f"Invoice {invoice.number} is not Ana Rivera's"
    for missing, reason in (
        ({"customer_id": 999999}, "customer_not_found"),
        ({"property_id": 999999}, "property_not_found"),
        ({"invoice_id": 999999}, "invoice_not_found"),
    ):
        fields = {**base, **missing}
        error = refused(lambda fields=fields: services.request_create(ctx, **fields))
        assert (error.status, str(error.reason)) == (404, reason)


def test_an_update_changes_the_text_and_a_closed_request_is_refused(ctx):
    request = make_request()
    services.request_update(ctx, request=request, data={"subject": "  Green water  "})
    request.refresh_from_db()
    assert request.subject == "Green water"
    error = refused(lambda: services.request_update(ctx, request=request, data={"status": "x"}))
    assert [(f.field, f.msg) for f in error.fields] == [
        ("status", "This field cannot be changed here")
    ]
    error = refused(lambda: services.request_update(ctx, request=request, data={}))
    assert str(error.reason) == "no_fields_to_update"
    closed = closed_request()
    error = refused(lambda: services.request_update(ctx, request=closed, data={"subject": "x"}))
    assert (error.status, str(error.reason)) == (409, "request_closed")
    assert error.message == f"Request {closed.number} is closed: reopen it to change it"


# --- transitions --------------------------------------------------------------------------


def test_assign_answer_close_reopen_each_move_and_record(ctx, company, mailoutbox):
    clerk = UserFactory(username="marta", role=Role.STAFF)
    request = make_request()
    assert request.status == RequestStatus.OPEN

    services.request_assign(ctx, request=request, assignee_id=clerk.pk)
    request.refresh_from_db()
    assert (request.status, request.assignee_id) == ("in_progress", clerk.pk)

    services.request_answer(ctx, request=request, response="  We will visit on Monday.  ")
    request.refresh_from_db()
    assert (request.status, request.response) == ("answered", "We will visit on Monday.")
    assert request.answered_at is not None

    services.request_close(ctx, request=request)
    request.refresh_from_db()
    assert request.status == "closed" and request.closed_at is not None

    services.request_reopen(ctx, request=request)
    request.refresh_from_db()
    # Back to the one it was assigned to.
    assert (request.status, request.closed_at) == ("in_progress", None)

    recorded = events(request)
    assert [action for action, _ in recorded] == [
        "create",
        "assign",
        "answer",
        "close",
        "reopen",
    ]
    assert recorded[1][1]["status"] == ["open", "in_progress"]
    assert recorded[1][1]["assignee_id"] == [None, clerk.pk]
    assert recorded[2][1]["status"] == ["in_progress", "answered"]
    assert recorded[3][1]["status"] == ["answered", "closed"]
    assert recorded[4][1]["status"] == ["closed", "in_progress"]


def test_an_unassigned_request_reopens_open_and_an_answer_reassigns_it(company):
    boss = UserFactory(username="jefa", role=Role.ADMIN)
    request = make_request()
    services.request_answer(Ctx.for_user(boss, company), request=request, response="Done")
    request.refresh_from_db()
    assert request.assignee_id == boss.pk  # whoever answers took it
    services.request_reopen(Ctx.system(company), request=request)
    request.refresh_from_db()
    assert request.status == "in_progress"
    unassigned = answered_request()
    services.request_reopen(Ctx.system(company), request=unassigned)
    unassigned.refresh_from_db()
    assert unassigned.status == "open"


# Every refused move: (how to get there, action, from, to).
REFUSALS = [
    ("answered", "assign", "answered", "in_progress"),
    ("closed", "assign", "closed", "in_progress"),
    ("answered", "answer", "answered", "answered"),
    ("closed", "answer", "closed", "answered"),
    ("open", "close", "open", "closed"),
    ("in_progress", "close", "in_progress", "closed"),
    ("closed", "close", "closed", "closed"),
    ("open", "reopen", "open", "open"),
    ("in_progress", "reopen", "in_progress", "in_progress"),
]


def request_in(status: str, ctx: Ctx, clerk):
    if status == "open":
        return make_request()
    if status == "in_progress":
        return services.request_assign(ctx, request=make_request(), assignee_id=clerk.pk)
    if status == "answered":
        return answered_request()
    return closed_request()


def run(action: str, ctx: Ctx, request, clerk):
    if action == "assign":
        return services.request_assign(ctx, request=request, assignee_id=clerk.pk)
    if action == "answer":
        return services.request_answer(ctx, request=request, response="Again")
    return getattr(services, f"request_{action}")(ctx, request=request)


@pytest.mark.parametrize(("status", "action", "source", "target"), REFUSALS)
def test_a_wrong_transition_is_refused_and_records_nothing(ctx, status, action, source, target):
    clerk = UserFactory(role=Role.STAFF)
    request = request_in(status, ctx, clerk)
    before = events(request)
    assert services.can_request_transition(ctx, request=request, action=action) is not None
    error = refused(lambda: run(action, ctx, request, clerk))
    assert (error.status, str(error.reason)) == (409, "invalid_transition")
    assert error.extra == {"from": source, "to": target}
    assert error.message.startswith(
        f"Request {request.number} is {source}: it cannot {action} from {source} to {target}"
    )
    request.refresh_from_db()
    assert request.status == status
    assert events(request) == before


def test_every_status_and_action_is_either_allowed_or_refused(ctx):
    allowed = {
        ("open", "assign"),
        ("in_progress", "assign"),
        ("open", "answer"),
        ("in_progress", "answer"),
        ("answered", "close"),
        ("answered", "reopen"),
        ("closed", "reopen"),
    }
    refusals = {(status, action) for status, action, _, _ in REFUSALS}
    everything = {(s, a) for s in RequestStatus.values for a in services.TRANSITIONS}
    assert allowed | refusals == everything and not allowed & refusals
    clerk = UserFactory(role=Role.STAFF)
    for status, action in sorted(allowed):
        request = request_in(status, ctx, clerk)
        assert services.can_request_transition(ctx, request=request, action=action) is None
        run(action, ctx, request, clerk)


def test_assign_needs_a_member_of_the_company_and_answer_a_text(ctx):
    request = make_request()
    outsider = UserFactory(company=CompanyFactory(slug="elsewhere"))
    error = refused(lambda: services.request_assign(ctx, request=request, assignee_id=outsider.pk))
    assert (error.status, str(error.reason), error.message) == (
        404,
        "user_not_found",
        "User not found",
    )
    error = refused(lambda: services.request_answer(ctx, request=request, response="  "))
    assert [(f.field, f.msg) for f in error.fields] == [("response", "An answer is required")]
    request.refresh_from_db()
    assert request.status == "open"


# --- the answer's email ---------------------------------------------------------------------


def test_the_answer_is_queued_on_commit_only_for_a_customer_with_an_email(
    ctx, django_capture_on_commit_callbacks
):
    queued = DBTaskResult.objects.filter(task_path="support.tasks.send_request_answer")
    with django_capture_on_commit_callbacks(execute=True):
        services.request_answer(ctx, request=make_request(), response="Fixed")
    assert queued.count() == 1
    silent = make_request(customer=CustomerFactory(email=None))
    with django_capture_on_commit_callbacks(execute=True):
        services.request_answer(ctx, request=silent, response="Fixed")
    assert queued.count() == 1
    # A rolled-back answer queues nothing.
    request = make_request()
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.request_answer(ctx, request=request, response="Fixed")
        raise RuntimeError("rolled back")
    assert queued.count() == 1


# --- claims dispute their invoice -----------------------------------------------------------


def test_a_claim_disputes_its_invoice_until_it_is_closed(ctx):
    invoice = make_invoice()
    customer = invoice.customer

    def disputed() -> bool:
        invoice.refresh_from_db()
        return invoice.disputed

    complaint = make_request(customer=customer, kind="complaint", invoice_id=invoice.pk)
    assert not disputed()  # only a claim disputes
    claim = make_request(customer=customer, kind="claim", invoice_id=invoice.pk)
    second = make_request(customer=customer, kind="claim", invoice_id=invoice.pk)
    assert disputed()
    services.request_answer(ctx, request=claim, response="Credited")
    assert disputed()  # answered is not closed
    services.request_close(ctx, request=claim)
    assert disputed()  # the second claim is still open
    services.request_answer(ctx, request=second, response="Credited")
    services.request_close(ctx, request=second)
    assert not disputed()
    services.request_reopen(ctx, request=second)
    assert disputed()
    # Pointing the claim elsewhere (or making it a complaint) releases the invoice.
    services.request_update(ctx, request=second, data={"kind": "complaint"})
    assert not disputed()
    services.request_update(ctx, request=complaint, data={"kind": "claim"})
    assert disputed()
    services.request_update(ctx, request=complaint, data={"invoice_id": None})
    assert not disputed()
    actions = AuditEvent.objects.filter(object_type="invoice", object_id=invoice.pk)
    assert list(actions.order_by("pk").values_list("action", flat=True)) == [
        "create",
        "dispute",
        "undispute",
        "dispute",
        "undispute",
        "dispute",
        "undispute",
    ]


def test_a_request_received_before_2000_is_refused(ctx):
    customer = make_request().customer
    with pytest.raises(ApplicationError) as refused:
        services.request_create(
            ctx,
            kind="complaint",
            channel="phone",
            customer_id=customer.pk,
            subject="Old",
            received_at=datetime.datetime(1, 1, 1, tzinfo=datetime.UTC),
        )
    assert [(e.field, e.msg) for e in refused.value.fields] == [
        ("received_at", "received_at is before 2000")
    ]
