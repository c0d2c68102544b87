import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from audit.models import Audited
from tenancy.scoping import TenantManager, UnscopedManager


class Role(models.TextChoices):
    """A member's role in one company. An owner is an admin with `is_owner`."""

    ADMIN = "admin", "Admin"
    STAFF = "staff", "Staff"
    TECHNICIAN = "technician", "Technician"


def default_reminder_days() -> list[int]:
    return [7, 30, 60]


def default_request_due_days() -> dict[str, int]:
    return {"petition": 15, "complaint": 15, "claim": 15, "service_request": 5}


def default_visit_checklist() -> list[str]:
    return [
        "Skim the surface",
        "Brush walls and steps",
        "Vacuum",
        "Empty baskets",
        "Check equipment",
    ]


def default_time_zone() -> str:
    return settings.TIME_ZONE


class Company(Audited):
    """A pool company: every business row belongs to exactly one."""

    slug = models.SlugField(max_length=50)
    name = models.CharField(max_length=120)
    legal_name = models.CharField(max_length=200, blank=True, default="")
    address = models.TextField(blank=True, default="")
    phone = models.CharField(max_length=30, blank=True, default="")
    email = models.EmailField(max_length=254, blank=True, default="")
    # Percent: "11.50" is 11.5 %.
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0.00"))
    # Plan fees and service items are taxed only when true.
    tax_services = models.BooleanField(default=False)
    payment_terms_days = models.PositiveSmallIntegerField(default=30)
    currency = models.CharField(max_length=3, default="USD")
    time_zone = models.CharField(max_length=64, default=default_time_zone)
    reminder_days = models.JSONField(default=default_reminder_days)
    request_due_days = models.JSONField(default=default_request_due_days)
    # The tasks a technician ticks off at every route visit.
    visit_checklist = models.JSONField(default=default_visit_checklist)
    # Email the service report to the customer when a visit is completed.
    visit_report_email = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "companies"
        constraints = [
            models.UniqueConstraint(Lower("slug"), name="tenancy_company_slug_ci_unique"),
            models.CheckConstraint(
                condition=~Q(slug="") & ~Q(name=""), name="tenancy_company_slug_name_not_empty"
            ),
            models.CheckConstraint(
                condition=Q(tax_rate__gte=0) & Q(tax_rate__lte=100),
                name="tenancy_company_tax_rate_percent",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def today(self) -> datetime.date:
        """The date in the company's time zone: its plans pause and its routes run by it."""
        return timezone.localdate(timezone=ZoneInfo(self.time_zone))


class Membership(Audited):
    """A person's place in a company: the role decides their permissions there."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.STAFF)
    is_owner = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager()
    unscoped = UnscopedManager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "company"], name="tenancy_membership_user_company_unique"
            ),
            models.CheckConstraint(
                condition=Q(role__in=Role.values), name="tenancy_membership_role_valid"
            ),
            # An owner is an admin who also edits the company and its owners.
            models.CheckConstraint(
                condition=Q(is_owner=False) | Q(role=Role.ADMIN),
                name="tenancy_membership_owner_is_admin",
            ),
        ]
        indexes = [models.Index(fields=["company", "role"], name="tenancy_membership_role")]

    def __str__(self) -> str:
        return f"{self.user} in {self.company} ({self.role})"
