"""Service plans, the visits scheduled from them (and work orders), and what a visit records:
readings per pool, catalog lines, photos."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from audit.models import Audited
from catalog.models import MONEY_DIGITS, STOCK_DIGITS, Item, StockMovement
from customers.models import Customer, Property
from pools.models import Pool
from tenancy.models import Company
from tenancy.scoping import TenantManager, UnscopedManager


class Frequency(models.TextChoices):
    WEEKLY = "weekly", "Weekly"
    BIWEEKLY = "biweekly", "Every second week"
    EVERY_4_WEEKS = "every_4_weeks", "Every four weeks"
    MONTHLY = "monthly", "Monthly"


class RateType(models.TextChoices):
    PER_MONTH = "per_month", "Per month"
    PER_VISIT = "per_visit", "Per visit"


class Chemicals(models.TextChoices):
    INCLUDED = "included", "Included in the rate"
    BILLED = "billed", "Billed on top"


class BillingTiming(models.TextChoices):
    ADVANCE = "advance", "In advance"
    ARREARS = "arrears", "In arrears"


class PlanStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    ENDED = "ended", "Ended"


def _one_of(field: str, choices: type[models.TextChoices]) -> Q:
    return Q(**{f"{field}__in": choices.values})


class ServicePlan(Audited):
    """A pool's recurring service: which weekday, how often, by whom, at what rate. Visits are
    scheduled from it (operations.scheduling) and billed from it (billing)."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", editable=False)
    # PROTECT: a pool with a plan is deactivated, not deleted (its plans and visits are history).
    pool = models.ForeignKey(Pool, on_delete=models.PROTECT, related_name="service_plans")
    # A member with the technician role; users are deactivated, never deleted.
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    frequency = models.CharField(max_length=15, choices=Frequency.choices, default=Frequency.WEEKLY)
    # 0 = Monday .. 6 = Sunday, as date.weekday().
    weekday = models.PositiveSmallIntegerField()
    start_date = models.DateField()
    # The last day served; the plan is `ended` once it is past.
    end_date = models.DateField(null=True, blank=True)
    rate_type = models.CharField(
        max_length=10, choices=RateType.choices, default=RateType.PER_MONTH
    )
    rate = models.DecimalField(**MONEY_DIGITS)
    chemicals = models.CharField(
        max_length=10, choices=Chemicals.choices, default=Chemicals.INCLUDED
    )
    billing_timing = models.CharField(
        max_length=10, choices=BillingTiming.choices, default=BillingTiming.ADVANCE
    )
    status = models.CharField(max_length=10, choices=PlanStatus.choices, default=PlanStatus.ACTIVE)
    # While paused: the last day of the current pause (null: until resumed). Every pause, the
    # current one included, is a PlanPause row (scheduling and billing read those).
    paused_until = models.DateField(null=True, blank=True)
    route_position = models.PositiveIntegerField(default=0)
    notes = models.TextField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantManager()
    unscoped = UnscopedManager()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="operations_plan_weekday"),
            models.CheckConstraint(condition=Q(rate__gte=0), name="operations_plan_rate"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="operations_plan_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(paused_until__isnull=True) | Q(status=PlanStatus.PAUSED),
                name="operations_plan_paused_until_when_paused",
            ),
            models.CheckConstraint(
                condition=_one_of("frequency", Frequency), name="operations_plan_frequency"
            ),
            models.CheckConstraint(
                condition=_one_of("rate_type", RateType), name="operations_plan_rate_type"
            ),
            models.CheckConstraint(
                condition=_one_of("chemicals", Chemicals), name="operations_plan_chemicals"
            ),
            models.CheckConstraint(
                condition=_one_of("billing_timing", BillingTiming),
                name="operations_plan_billing_timing",
            ),
            models.CheckConstraint(
                condition=_one_of("status", PlanStatus), name="operations_plan_status"
            ),
        ]
        indexes = [
            models.Index(fields=["company", "-id"], name="operations_plan_newest"),
            models.Index(fields=["company", "status"], name="operations_plan_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_frequency_display()} service of {self.pool_id}"


class PlanPause(models.Model):
    """One span a plan was (or is) paused, both days inclusive; `ends_on` null while it lasts
    until resumed. Scheduling skips these days; billing reads them."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", editable=False)
    plan = models.ForeignKey(ServicePlan, on_delete=models.CASCADE, related_name="pauses")
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager()
    unscoped = UnscopedManager()

    class Meta:
        ordering = ["plan", "starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="operations_pause_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id} paused {self.starts_on}..{self.ends_on or ''}"


class VisitKind(models.TextChoices):
    ROUTE = "route", "Route visit"
    WORK_ORDER = "work_order", "Work order"


class VisitStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    SKIPPED = "skipped", "Skipped"
    CANCELLED = "cancelled", "Cancelled"


class SkipReason(models.TextChoices):
    GATE_LOCKED = "gate_locked", "Gate locked"
    DOG = "dog", "Dog"
    WEATHER = "weather", "Weather"
    CUSTOMER_REQUEST = "customer_request", "Customer request"
    NO_ACCESS = "no_access", "No access"
    OTHER = "other", "Other"


class Visit(Audited):
    """A stop at a property: a route visit scheduled from a plan (or an extra stop), or a work
    order created by the office."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", editable=False)
    kind = models.CharField(max_length=12, choices=VisitKind.choices, default=VisitKind.ROUTE)
    plan = models.ForeignKey(
        ServicePlan, on_delete=models.PROTECT, null=True, blank=True, related_name="visits"
    )
    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="visits")
    # The customer served, kept as it was on the day (a property that changes hands later does
    # not move its history or its billing); set from the property when the visit is made.
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="visits")
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    scheduled_date = models.DateField()
    # The plan's position when scheduled; the office may reorder a day's stops.
    route_position = models.PositiveIntegerField(default=0)
    status = models.CharField(
        max_length=12, choices=VisitStatus.choices, default=VisitStatus.SCHEDULED
    )
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    skip_reason = models.CharField(max_length=20, choices=SkipReason.choices, null=True, blank=True)
    skip_note = models.TextField(null=True, blank=True)
    cancel_reason = models.TextField(null=True, blank=True)
    title = models.CharField(max_length=120, null=True, blank=True)
    customer_notes = models.TextField(null=True, blank=True)
    office_notes = models.TextField(null=True, blank=True)
    # [{"task": "brush", "done": true}, ...] as the technician left it.
    checklist = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantManager()
    unscoped = UnscopedManager()

    class Meta:
        ordering = ["-id"]
        constraints = [
            # Scheduling is idempotent by this: a plan never gets two visits on one date, also
            # when two runs overlap (work orders and extra stops have no plan).
            models.UniqueConstraint(
                fields=["plan", "scheduled_date"], name="operations_visit_plan_date_unique"
            ),
            models.CheckConstraint(
                condition=_one_of("kind", VisitKind), name="operations_visit_kind"
            ),
            models.CheckConstraint(
                condition=_one_of("status", VisitStatus), name="operations_visit_status"
            ),
            models.CheckConstraint(
                condition=Q(skip_reason__isnull=True) | _one_of("skip_reason", SkipReason),
                name="operations_visit_skip_reason_valid",
            ),
            models.CheckConstraint(
                condition=Q(status=VisitStatus.SKIPPED, skip_reason__isnull=False)
                | (~Q(status=VisitStatus.SKIPPED) & Q(skip_reason__isnull=True)),
                name="operations_visit_skipped_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status=VisitStatus.COMPLETED) | Q(completed_at__isnull=False),
                name="operations_visit_completed_at",
            ),
        ]
        indexes = [
            models.Index(fields=["company", "-id"], name="operations_visit_newest"),
            # The route of a day: a company's day, per technician, in route order.
            models.Index(
                fields=["company", "scheduled_date", "technician", "route_position"],
                name="operations_visit_route",
            ),
            models.Index(fields=["property", "-scheduled_date"], name="operations_visit_property"),
            models.Index(fields=["customer", "-scheduled_date"], name="operations_visit_customer"),
        ]

    def __str__(self) -> str:
        return f"Visit {self.pk} on {self.scheduled_date}"


# Decimal places a test kit reads to; every measured value fits 99999.99 (TDS is at most 20000).
MEASUREMENT_DIGITS = {"max_digits": 7, "decimal_places": 2}


class Reading(Audited):
    """One pool's water test at a visit, with what the chemistry made of it then (the index,
    the flags and the doses): a report shows what the technician was shown, even after the
    ranges change."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", editable=False)
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="readings")
    pool = models.ForeignKey(Pool, on_delete=models.PROTECT, related_name="readings")
    free_chlorine = models.DecimalField(**MEASUREMENT_DIGITS, null=True, blank=True)
    combined_chlorine = models.DecimalField(**MEASUREMENT_DIGITS, null=True, blank=True)
    ph = models.DecimalField(**MEASUREMENT_DIGITS, null=True, blank=True)
    total_alkalinity = models.DecimalField(**MEASUREMENT_DIGITS, null=True, blank=True)
    calcium_hardness = models.DecimalField(**MEASUREMENT_DIGITS, null=True, blank=True)
    cyanuric_acid = models.DecimalField(**MEASUREMENT_DIGITS, null=True, blank=True)
    salt = models.DecimalField(**MEASUREMENT_DIGITS, null=True, blank=True)
    temperature_f = models.DecimalField(**MEASUREMENT_DIGITS, null=True, blank=True)
    tds = models.DecimalField(**MEASUREMENT_DIGITS, null=True, blank=True)
    phosphates = models.DecimalField(**MEASUREMENT_DIGITS, null=True, blank=True)
    lsi = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    flags = models.JSONField(default=list, blank=True)
    # [{"chemical", "amount", "unit", "reason"}], amounts as strings.
    suggestions = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager()
    unscoped = UnscopedManager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["visit", "pool"], name="operations_reading_visit_pool"),
        ]
        indexes = [
            # A pool's last readings (the technician's stop, the pool's page).
            models.Index(fields=["pool", "-id"], name="operations_reading_pool"),
            # Readings out of range this week (the dashboard).
            models.Index(fields=["company", "created_at"], name="operations_reading_created"),
        ]

    def __str__(self) -> str:
        return f"Reading of pool {self.pool_id} at visit {self.visit_id}"


class VisitLine(Audited):
    """A catalog item used or done at a visit, priced as it was that day; billing bills these
    once (issue 18), stock is taken by its usage movement."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", editable=False)
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="lines")
    # PROTECT: a soft-deleted item stays on the visits that used it.
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="visit_lines")
    pool = models.ForeignKey(
        Pool, on_delete=models.PROTECT, null=True, blank=True, related_name="visit_lines"
    )
    description = models.CharField(max_length=255)
    quantity = models.DecimalField(**STOCK_DIGITS)
    unit_price = models.DecimalField(**MONEY_DIGITS)
    taxable = models.BooleanField(default=False)
    # The usage movement that took the quantity from stock; none for items not in stock.
    movement = models.OneToOneField(
        StockMovement, on_delete=models.PROTECT, null=True, blank=True, related_name="visit_line"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager()
    unscoped = UnscopedManager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="operations_line_quantity"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="operations_line_price"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.description}"


class Photo(Audited):
    """A picture taken at a visit, in the object storage (ektor.files): the checked, stripped
    image and its thumbnail (made by a task; empty until then)."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", editable=False)
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="photos")
    pool = models.ForeignKey(
        Pool, on_delete=models.PROTECT, null=True, blank=True, related_name="photos"
    )
    caption = models.CharField(max_length=200, null=True, blank=True)
    # Names in the object storage.
    file_name = models.CharField(max_length=255)
    thumbnail_name = models.CharField(max_length=255, blank=True, default="")
    content_type = models.CharField(max_length=20)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager()
    unscoped = UnscopedManager()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.caption or f"Photo {self.pk}"
