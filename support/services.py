"""Every write to customer requests goes through here: the API, the admin and the commands.

A request moves open -> in_progress (assigned) -> answered -> closed; reopen takes an answered
or closed one back to the office. Any other move is refused with 409 `invalid_transition`.
A claim about an invoice keeps that invoice disputed while the claim is not closed
(billing.services.invoice_dispute_set, in the same transaction).
"""

import datetime
from collections.abc import Iterable, Mapping
from typing import Any, cast

from django.db import transaction
from django.utils import timezone

from accounts.error_codes import AccountErrorCode
from accounts.models import User
from audit.services import record_change
from billing import services as billing
from billing.error_codes import BillingErrorCode
from billing.models import Invoice
from core.context import Ctx
from core.errors import (
    ApplicationError,
    Conflict,
    CoreErrorCode,
    FieldError,
    InvalidInput,
    NotFound,
    refusal,
)
from customers.error_codes import CustomerErrorCode
from customers.models import Customer, Property
from ektor.services import require_updatable
from ektor.tasks import enqueue_on_commit
from support.deadlines import add_business_days
from support.error_codes import SupportErrorCode
from support.models import (
    PENDING,
    CustomerRequest,
    RequestChannel,
    RequestCounter,
    RequestKind,
    RequestStatus,
)
from support.tasks import send_request_answer
from tenancy.models import default_request_due_days
from tenancy.numbering import numbers_reserve
from tenancy.scoping import company_of, company_zone

SUBJECT_MAX = 200
# No request predates the business by this much (and a date near year 1 leaves the calendar
# in the company's time zone).
EARLIEST_RECEIVED = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
UPDATABLE_FIELDS = frozenset(
    {"kind", "channel", "customer_id", "property_id", "invoice_id", "subject", "description"}
)


def request_due_date(ctx: Ctx, *, kind: str, received_at: datetime.datetime) -> datetime.date:
    """The received day in the company's time zone plus the company's business days for the
    kind (Company.request_due_days; the defaults for a kind it does not name)."""
    days = {**default_request_due_days(), **company_of(ctx).request_due_days}
    received = received_at.astimezone(company_zone(ctx)).date()
    return add_business_days(received, int(days[kind]))


def _check_fields(request: CustomerRequest) -> None:
    """The field rules (422) on the values the request would be saved with."""
    errors = []
    if request.kind not in RequestKind.values:
        errors.append(FieldError("kind", f"Kind must be one of {', '.join(RequestKind)}", "enum"))
    if request.channel not in RequestChannel.values:
        errors.append(
            FieldError("channel", f"Channel must be one of {', '.join(RequestChannel)}", "enum")
        )
    request.subject = (request.subject or "").strip()
    if not request.subject:
        errors.append(FieldError("subject", "A subject is required", "missing"))
    elif len(request.subject) > SUBJECT_MAX:
        errors.append(
            FieldError(
                "subject",
                f"Ensure this field has no more than {SUBJECT_MAX} characters.",
                "string_too_long",
            )
        )
    if request.received_at > timezone.now():
        errors.append(
            FieldError("received_at", "received_at is in the future: log a request once received")
        )
    elif request.received_at < EARLIEST_RECEIVED:
        errors.append(
            FieldError("received_at", f"received_at is before {EARLIEST_RECEIVED:%Y}", "range")
        )
    if errors:
        raise InvalidInput(errors)


def _check_parties(ctx: Ctx, request: CustomerRequest) -> None:
    """The customer exists (404); the property and the invoice, when given, exist (404) and
    are the customer's (400)."""
    customer = Customer.objects.of(ctx).filter(pk=request.customer_id).first()
    if customer is None:
        raise NotFound("Customer", reason=CustomerErrorCode.CUSTOMER_NOT_FOUND)
    if request.property_id is not None:
        prop = Property.objects.of(ctx).filter(pk=request.property_id).first()
        if prop is None:
            raise NotFound("Property", reason=CustomerErrorCode.PROPERTY_NOT_FOUND)
        if prop.customer_id != customer.pk:
            raise ApplicationError(
                f"Property {prop.label} ({prop.address1}) is not {customer.full_name}'s",
                reason=BillingErrorCode.PROPERTY_CUSTOMER_MISMATCH,
                status=400,
            )
    if request.invoice_id is not None:
        invoice = Invoice.objects.of(ctx).filter(pk=request.invoice_id).first()
        if invoice is None:
            raise NotFound("Invoice", reason=BillingErrorCode.INVOICE_NOT_FOUND)
        if invoice.customer_id != customer.pk:
            raise ApplicationError(
                f"Invoice {invoice} is not {customer.full_name}'s",
                reason=SupportErrorCode.INVOICE_CUSTOMER_MISMATCH,
                status=400,
            )


def _lock_invoices(ctx: Ctx, invoice_ids: Iterable[int | None]) -> list[int]:
    """Lock the invoices a request names (in id order), before the request's row is written:
    that write's foreign key check takes a shared lock on the invoice, and a shared lock
    raised to an exclusive one later deadlocks with another claim's sync."""
    ids = sorted({i for i in invoice_ids if i is not None})
    for invoice_id in ids:
        billing.invoice_lock(ctx, invoice_id=invoice_id)
    return ids


def _sync_disputes(ctx: Ctx, invoice_ids: Iterable[int | None]) -> None:
    """Each invoice is disputed exactly while a claim about it is not closed."""
    # The invoice's lock before the count: a claim that another transaction opens or closes
    # meanwhile is committed when the count reads it (READ COMMITTED), so whichever sync runs
    # last sees every claim and sets the flag right.
    for invoice_id in _lock_invoices(ctx, invoice_ids):
        open_claim = (
            CustomerRequest.objects.of(ctx)
            .filter(invoice_id=invoice_id, kind=RequestKind.CLAIM)
            .exclude(status=RequestStatus.CLOSED)
            .exists()
        )
        billing.invoice_dispute_set(ctx, invoice_id=invoice_id, disputed=open_claim)


@transaction.atomic
def request_create(
    ctx: Ctx,
    *,
    kind: str,
    channel: str,
    customer_id: int,
    subject: str,
    description: str | None = "",
    property_id: int | None = None,
    invoice_id: int | None = None,
    received_at: datetime.datetime | None = None,
) -> CustomerRequest:
    """Log a request as received (now, unless `received_at` says when); it gets its number
    (the received year's) and its deadline."""
    request = CustomerRequest(
        company=company_of(ctx),
        kind=kind,
        channel=channel,
        customer_id=customer_id,
        property_id=property_id,
        invoice_id=invoice_id,
        subject=subject,
        description=description or "",
        received_at=received_at or timezone.now(),
        status=RequestStatus.OPEN,
    )
    _check_fields(request)
    _check_parties(ctx, request)
    request.due_date = request_due_date(ctx, kind=kind, received_at=request.received_at)
    year = request.received_at.astimezone(company_zone(ctx)).year
    _lock_invoices(ctx, [request.invoice_id])
    sequence = numbers_reserve(ctx, RequestCounter, year=year, count=1)[0]
    request.number = f"REQ-{year}-{sequence:06d}"
    request.save()
    record_change(ctx, "create", request)
    _sync_disputes(ctx, [request.invoice_id])
    return request


def _locked(ctx: Ctx, request: CustomerRequest) -> CustomerRequest:
    locked = CustomerRequest.objects.of(ctx).select_for_update().filter(pk=request.pk).first()
    if locked is None:
        raise NotFound("Customer request", reason=SupportErrorCode.CUSTOMERREQUEST_NOT_FOUND)
    return locked


@transaction.atomic
def request_update(
    ctx: Ctx, *, request: CustomerRequest, data: Mapping[str, Any]
) -> CustomerRequest:
    """Change what the request is about (not its status, answer or assignee: the transitions
    do that); a closed request is reopened first. A new kind moves the deadline."""
    require_updatable(data, UPDATABLE_FIELDS)
    request = _locked(ctx, request)
    if request.status == RequestStatus.CLOSED:
        raise Conflict(
            f"Request {request} is closed: reopen it to change it",
            reason=SupportErrorCode.REQUEST_CLOSED,
        )
    before_invoice = request.invoice_id
    for name, value in data.items():
        setattr(request, name, "" if name == "description" and value is None else value)
    _check_fields(request)
    _check_parties(ctx, request)
    fields = list(data)
    if "kind" in data:
        request.due_date = request_due_date(ctx, kind=request.kind, received_at=request.received_at)
        fields.append("due_date")
    _lock_invoices(ctx, [before_invoice, request.invoice_id])
    request.save(update_fields=[*fields, "updated_at"])
    record_change(ctx, "update", request)
    _sync_disputes(ctx, [before_invoice, request.invoice_id])
    return request


# What each transition accepts and where it leads.
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "assign": (PENDING, RequestStatus.IN_PROGRESS),
    "answer": (PENDING, RequestStatus.ANSWERED),
    "close": ((RequestStatus.ANSWERED,), RequestStatus.CLOSED),
    "reopen": ((RequestStatus.ANSWERED, RequestStatus.CLOSED), RequestStatus.OPEN),
}


def _target(request: CustomerRequest, action: str) -> str:
    """Where `action` takes the request (reopened: back to its assignee, if it has one)."""
    if action == "reopen" and request.assignee_id is not None:
        return RequestStatus.IN_PROGRESS
    return TRANSITIONS[action][1]


def _check_transition(request: CustomerRequest, action: str) -> str:
    sources, _ = TRANSITIONS[action]
    target = _target(request, action)
    if request.status not in sources:
        allowed = " or ".join(sources)
        raise Conflict(
            f"Request {request} is {request.status}: it cannot {action} from {request.status} "
            f"to {target} (only from {allowed})",
            reason=CoreErrorCode.INVALID_TRANSITION,
            extra={"from": request.status, "to": target},
        )
    return target


def can_request_transition(
    ctx: Ctx, *, request: CustomerRequest, action: str
) -> ApplicationError | None:
    """Why `action` (assign, answer, close, reopen) would refuse the request as it stands
    (None: it may go)."""
    return refusal(lambda: _check_transition(request, action))


@transaction.atomic
def request_assign(ctx: Ctx, *, request: CustomerRequest, assignee_id: int) -> CustomerRequest:
    """Give an open or in-progress request to a member of the company: it is in progress."""
    request = _locked(ctx, request)
    target = _check_transition(request, "assign")
    assignee = User.objects.filter(pk=assignee_id, memberships__company=company_of(ctx)).first()
    if assignee is None:
        raise NotFound("User", reason=AccountErrorCode.USER_NOT_FOUND)
    request.assignee = assignee
    request.status = target
    request.save(update_fields=["assignee", "status", "updated_at"])
    record_change(ctx, "assign", request)
    return request


@transaction.atomic
def request_answer(ctx: Ctx, *, request: CustomerRequest, response: str) -> CustomerRequest:
    """Answer a pending request; the answer is emailed to the customer once the transaction
    commits (when they have an address)."""
    response = (response or "").strip()
    if not response:
        raise InvalidInput([FieldError("response", "An answer is required", "missing")])
    request = _locked(ctx, request)
    request.status = _check_transition(request, "answer")
    request.response = response
    request.answered_at = timezone.now()
    if request.assignee_id is None and ctx.user is not None:
        # Whoever answers an unassigned request took it.
        request.assignee = cast(User, ctx.user)
    request.save(update_fields=["status", "response", "answered_at", "assignee", "updated_at"])
    record_change(ctx, "answer", request)
    if request_email_recipient(ctx, request=request):
        enqueue_on_commit(send_request_answer, request.company_id, request.pk)
    return request


def request_email_recipient(ctx: Ctx, *, request: CustomerRequest) -> str | None:
    """Where a request's answer goes: its customer's address (None: no email is sent)."""
    return request.customer.email or None


@transaction.atomic
def request_close(ctx: Ctx, *, request: CustomerRequest) -> CustomerRequest:
    """Close an answered request; a claim's invoice is no longer disputed."""
    request = _locked(ctx, request)
    request.status = _check_transition(request, "close")
    request.closed_at = timezone.now()
    request.save(update_fields=["status", "closed_at", "updated_at"])
    record_change(ctx, "close", request)
    _sync_disputes(ctx, [request.invoice_id])
    return request


@transaction.atomic
def request_reopen(ctx: Ctx, *, request: CustomerRequest) -> CustomerRequest:
    """Take an answered or closed request back to the office (its assignee, if it has one);
    a claim's invoice is disputed again. The deadline stays the original one."""
    request = _locked(ctx, request)
    request.status = _check_transition(request, "reopen")
    request.closed_at = None
    request.save(update_fields=["status", "closed_at", "updated_at"])
    record_change(ctx, "reopen", request)
    _sync_disputes(ctx, [request.invoice_id])
    return request
