"""Every write to customers and properties; the API, the admin and seed_demo call these."""

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from customers.models import Customer, Property
from customers.selectors import customer_get
from ektor.api.errors import Conflict
from ektor.services import apply_fields, conflict_on_integrity, delete_protected, require_fields

CUSTOMER_OPTIONAL = ("email", "phone")
PROPERTY_OPTIONAL = ("address2", "city", "state", "postal_code", "notes")

DUPLICATE_EMAIL = ("A customer with this email already exists", "duplicate_email")
# What the database says when the unique email index refuses a row: the functional
# constraint's name (SQLite, MySQL 8), the column on SQLite, the column's unique key on MariaDB.
EMAIL_INTEGRITY_RULES = {
    "customers_customer_email_ci_unique": DUPLICATE_EMAIL,
    "customers_customer.email": DUPLICATE_EMAIL,
    "for key 'email'": DUPLICATE_EMAIL,
}


def _null_blanks(data: Mapping[str, Any], optional: tuple[str, ...]) -> dict[str, Any]:
    """Optional text that is empty is stored as NULL (uniqueness ignores NULL, not "")."""
    cleaned = dict(data)
    for name in optional:
        value = cleaned.get(name)
        if isinstance(value, str) and not value.strip():
            cleaned[name] = None
    return cleaned


def customer_email_check(*, email: str | None, exclude_id: int | None = None) -> None:
    """Refuse an email another customer already has, compared case-insensitively (409)."""
    if not email:
        return
    others = Customer.objects.filter(email__iexact=email)
    if exclude_id is not None:
        others = others.exclude(pk=exclude_id)
    if others.exists():
        message, reason = DUPLICATE_EMAIL
        raise Conflict(message, reason=reason)


def _customer_save(customer: Customer, data: Mapping[str, Any]) -> Customer:
    data = _null_blanks(data, CUSTOMER_OPTIONAL)
    if "email" in data:
        customer_email_check(email=data["email"], exclude_id=customer.pk)
    fields = apply_fields(customer, data)
    # The check above cannot see a concurrent insert; the unique index can.
    with conflict_on_integrity(EMAIL_INTEGRITY_RULES):
        if customer.pk is None:
            customer.save(force_insert=True)
        else:
            customer.save(update_fields=[*fields, "updated_at"])
    return customer


@transaction.atomic
def customer_create(
    *, first_name: str, last_name: str, email: str | None = None, phone: str | None = None
) -> Customer:
    data = {"first_name": first_name, "last_name": last_name, "email": email, "phone": phone}
    return _customer_save(Customer(), data)


@transaction.atomic
def customer_replace(
    *,
    customer: Customer,
    first_name: str,
    last_name: str,
    email: str | None = None,
    phone: str | None = None,
) -> Customer:
    """Full replacement (PUT): optional fields not given become NULL."""
    data = {"first_name": first_name, "last_name": last_name, "email": email, "phone": phone}
    return _customer_save(customer, data)


@transaction.atomic
def customer_update(*, customer: Customer, data: Mapping[str, Any]) -> Customer:
    """Partial update (PATCH): only the given fields change; at least one must be given."""
    require_fields(data)
    return _customer_save(customer, data)


@transaction.atomic
def customer_delete(*, customer: Customer) -> None:
    delete_protected(customer)


@transaction.atomic
def property_customer_check(*, prop: Property, customer_id: int) -> None:
    """The customer must exist (404); a property with invoices keeps its customer (409)."""
    customer_get(customer_id=customer_id)
    if prop.pk is None:
        return
    # The stored customer, not the instance's: the admin's form has already set the new one.
    # The row lock keeps an invoice from being written for it while it moves.
    stored = Property.objects.select_for_update().filter(pk=prop.pk)
    moving = stored.values_list("customer_id", flat=True).first() != customer_id
    if moving and prop.invoices.exists():
        raise Conflict(
            "Property has invoices and cannot move to another customer",
            reason="property_has_invoices",
        )


def _property_save(prop: Property, data: Mapping[str, Any]) -> Property:
    data = _null_blanks(data, PROPERTY_OPTIONAL)
    if "customer_id" in data:
        property_customer_check(prop=prop, customer_id=data["customer_id"])
    fields = apply_fields(prop, data)
    if prop.pk is None:
        prop.save(force_insert=True)
    else:
        prop.save(update_fields=[*fields, "updated_at"])
    return prop


@transaction.atomic
def property_create(
    *,
    customer_id: int,
    label: str,
    address1: str,
    address2: str | None = None,
    city: str | None = None,
    state: str | None = None,
    postal_code: str | None = None,
    notes: str | None = None,
    is_active: bool = True,
) -> Property:
    data = {
        "customer_id": customer_id,
        "label": label,
        "address1": address1,
        "address2": address2,
        "city": city,
        "state": state,
        "postal_code": postal_code,
        "notes": notes,
        "is_active": is_active,
    }
    return _property_save(Property(), data)


@transaction.atomic
def property_replace(
    *,
    prop: Property,
    customer_id: int,
    label: str,
    address1: str,
    address2: str | None = None,
    city: str | None = None,
    state: str | None = None,
    postal_code: str | None = None,
    notes: str | None = None,
    is_active: bool = True,
) -> Property:
    """Full replacement (PUT): optional fields not given return to their defaults."""
    data = {
        "customer_id": customer_id,
        "label": label,
        "address1": address1,
        "address2": address2,
        "city": city,
        "state": state,
        "postal_code": postal_code,
        "notes": notes,
        "is_active": is_active,
    }
    return _property_save(prop, data)


@transaction.atomic
def property_update(*, prop: Property, data: Mapping[str, Any]) -> Property:
    require_fields(data)
    return _property_save(prop, data)


@transaction.atomic
def property_delete(*, prop: Property) -> None:
    delete_protected(prop)
