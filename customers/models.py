from django.db import models
from django.db.models.functions import Lower

from audit.models import Audited
from tenancy.models import Company
from tenancy.scoping import TenantManager, UnscopedManager


def full_name(first_name: str, last_name: str) -> str:
    """A customer's name as the API shows it, also for rows read without the model."""
    return f"{first_name} {last_name}"


class Customer(Audited):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", editable=False)
    first_name = models.CharField(max_length=60)
    last_name = models.CharField(max_length=60)
    # Optional; NULL (not "") when absent so that uniqueness ignores customers without one.
    # Unique per company, case-insensitively (the constraints below).
    email = models.EmailField(max_length=254, null=True, blank=True)
    phone = models.CharField(max_length=30, null=True, blank=True)
    # An inactive customer is kept with their history but offered in no picker (new invoices).
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantManager()
    unscoped = UnscopedManager()

    class Meta:
        ordering = ["-id"]
        constraints = [
            # The company's collation compares case-insensitively on MySQL/MariaDB (which
            # has no expression indexes); the Lower() one makes SQLite and MySQL 8 agree.
            models.UniqueConstraint(
                fields=["company", "email"], name="customers_customer_company_email_unique"
            ),
            models.UniqueConstraint(
                models.F("company"), Lower("email"), name="customers_customer_email_ci_unique"
            ),
            models.CheckConstraint(
                condition=~models.Q(first_name="") & ~models.Q(last_name=""),
                name="customers_customer_name_not_empty",
            ),
            models.CheckConstraint(
                condition=~models.Q(email=""), name="customers_customer_email_null_not_empty"
            ),
        ]
        indexes = [
            # The company's newest first (the API's list), as billing_invoice_newest.
            models.Index(fields=["company", "-id"], name="customers_customer_newest"),
            models.Index(fields=["last_name", "first_name"], name="customers_customer_name"),
            models.Index(fields=["phone"], name="customers_customer_phone"),
            models.Index(fields=["is_active"], name="customers_customer_active"),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def full_name(self) -> str:
        return full_name(self.first_name, self.last_name)


class Property(Audited):
    """A service address of a customer."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="properties")
    label = models.CharField(max_length=80)
    address1 = models.CharField(max_length=120)
    address2 = models.CharField(max_length=120, null=True, blank=True)
    city = models.CharField(max_length=80, null=True, blank=True)
    state = models.CharField(max_length=40, null=True, blank=True)
    postal_code = models.CharField(max_length=20, null=True, blank=True)
    notes = models.TextField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantManager()
    unscoped = UnscopedManager()

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "properties"
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(label="") & ~models.Q(address1=""),
                name="customers_property_label_address_not_empty",
            ),
        ]
        indexes = [
            models.Index(fields=["city"], name="customers_property_city"),
            models.Index(fields=["state"], name="customers_property_state"),
            models.Index(fields=["is_active"], name="customers_property_active"),
            models.Index(fields=["label"], name="customers_property_label"),
        ]

    def __str__(self) -> str:
        return self.label
