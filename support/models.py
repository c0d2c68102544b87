import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from audit.models import Audited
from billing.models import Invoice
from customers.models import Customer, Property
from tenancy.models import Company
from tenancy.numbering import Counter
from tenancy.scoping import TenantManager, UnscopedManager


class RequestKind(models.TextChoices):
    PETITION = "petition", "Petition"
    COMPLAINT = "complaint", "Complaint"
    CLAIM = "claim", "Claim"
    SERVICE_REQUEST = "service_request", "Service request"


class RequestChannel(models.TextChoices):
    PHONE = "phone", "Phone"
    EMAIL = "email", "Email"
    WEB = "web", "Web"
    IN_PERSON = "in_person", "In person"
    API = "api", "API"


class RequestStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    ANSWERED = "answered", "Answered"
    CLOSED = "closed", "Closed"


# Waiting for the office's answer: the deadline runs.
PENDING = (RequestStatus.OPEN, RequestStatus.IN_PROGRESS)


def overdue_q(today: datetime.date) -> Q:
    """Not yet answered and past its due date."""
    return Q(status__in=PENDING, due_date__lt=today)


class CustomerRequest(Audited):
    """A customer's petition, complaint, claim or service request, with its legal deadline."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", editable=False)
    # REQ-<year of receipt>-<6 digits>, gap-free per company and year (RequestCounter).
    number = models.CharField(max_length=20, editable=False)
    kind = models.CharField(max_length=20, choices=RequestKind.choices)
    channel = models.CharField(max_length=20, choices=RequestChannel.choices)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="requests")
    property = models.ForeignKey(
        Property, on_delete=models.PROTECT, related_name="requests", null=True, blank=True
    )
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="requests", null=True, blank=True
    )
    subject = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    status = models.CharField(
        max_length=20, choices=RequestStatus.choices, default=RequestStatus.OPEN
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    received_at = models.DateTimeField()
    due_date = models.DateField()
    answered_at = models.DateTimeField(null=True, blank=True)
    response = models.TextField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantManager()
    unscoped = UnscopedManager()

    class Meta:
        ordering = ["-id"]
        verbose_name = "customer request"
        constraints = [
            models.UniqueConstraint(
                fields=["company", "number"], name="support_request_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=RequestKind.values), name="support_request_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=RequestChannel.values),
                name="support_request_channel_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=RequestStatus.values), name="support_request_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(subject=""), name="support_request_subject_not_empty"
            ),
            # An answered or closed request has its answer.
            models.CheckConstraint(
                condition=Q(status__in=PENDING)
                | Q(answered_at__isnull=False, response__isnull=False),
                name="support_request_answered_has_response",
            ),
            models.CheckConstraint(
                condition=Q(status=RequestStatus.CLOSED) | Q(closed_at__isnull=True),
                name="support_request_closed_at_when_closed",
            ),
            models.CheckConstraint(
                condition=Q(answered_at__isnull=True) | Q(answered_at__gte=F("received_at")),
                name="support_request_answered_after_received",
            ),
        ]
        indexes = [
            models.Index(fields=["company", "-id"], name="support_request_newest"),
            # The office's queue: the pending ones by deadline.
            models.Index(fields=["company", "status", "due_date"], name="support_request_queue"),
        ]

    def __str__(self) -> str:
        return self.number

    def is_overdue_on(self, today: datetime.date) -> bool:
        return self.status in PENDING and self.due_date < today


class RequestCounter(Counter):
    """The last request number a company used in a year (tenancy.numbering)."""

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["company", "year"], name="support_requestcounter_company_year_unique"
            )
        ]
