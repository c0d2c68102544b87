"""Every write to customers and properties; the API, the admin and seed_demo call these."""

from collections.abc import Iterable, Mapping
from typing import Any, NotRequired, TypedDict, Unpack

from django.db import transaction

from audit.services import recording_delete
from core.context import Ctx
from core.errors import Conflict, CoreErrorCode, FieldError, InvalidInput
from customers.error_codes import CustomerErrorCode
from customers.models import Customer, Property
from customers.selectors import customer_get
from ektor.services import (
    complete_fields,
    delete_protected,
    null_blanks,
    require_fields,
    save_recorded,
)
from tenancy.scoping import company_of


class CustomerFields(TypedDict):
    first_name: str
    last_name: str
    email: NotRequired[str | None]
    phone: NotRequired[str | None]
    is_active: NotRequired[bool]


class PropertyFields(TypedDict):
    customer_id: int
    label: str
    address1: str
    address2: NotRequired[str | None]
    city: NotRequired[str | None]
    state: NotRequired[str | None]
    postal_code: NotRequired[str | None]
    notes: NotRequired[str | None]
    is_active: NotRequired[bool]


# What a field not given becomes on create and on full replacement (PUT).
CUSTOMER_DEFAULTS: dict[str, Any] = {"email": None, "phone": None, "is_active": True}
PROPERTY_DEFAULTS: dict[str, Any] = {
    "address2": None,
    "city": None,
    "state": None,
    "postal_code": None,
    "notes": None,
    "is_active": True,
}

DUPLICATE_EMAIL = ("A customer with this email already exists", CustomerErrorCode.DUPLICATE_EMAIL)
# What the database says when a unique email index of the company refuses a row: the
# constraints' names (the functional one on SQLite and MySQL 8, the plain one on MariaDB), the
# columns on SQLite.
EMAIL_INTEGRITY_RULES = {
    "customers_customer_email_ci_unique": DUPLICATE_EMAIL,
    "customers_customer_company_email_unique": DUPLICATE_EMAIL,
    "customers_customer.company_id, customers_customer.email": DUPLICATE_EMAIL,
}


def customer_email_check(ctx: Ctx, *, email: str | None, exclude_id: int | None = None) -> None:
    """Refuse an email another customer already has, compared case-insensitively (409)."""
    if not email:
        return
    others = Customer.objects.of(ctx).filter(email__iexact=email)
    if exclude_id is not None:
        others = others.exclude(pk=exclude_id)
    if others.exists():
        message, reason = DUPLICATE_EMAIL
        raise Conflict(message, reason=reason)


def _customer_save(ctx: Ctx, customer: Customer, data: Mapping[str, Any]) -> Customer:
    data = null_blanks(data, CUSTOMER_DEFAULTS)
    if "email" in data:
        customer_email_check(ctx, email=data["email"], exclude_id=customer.pk)
    return save_recorded(ctx, customer, data, EMAIL_INTEGRITY_RULES)


@transaction.atomic
def customer_create(ctx: Ctx, **fields: Unpack[CustomerFields]) -> Customer:
    return _customer_save(
        ctx,
        Customer(company=company_of(ctx)),
        complete_fields(fields, CustomerFields, CUSTOMER_DEFAULTS),
    )


@transaction.atomic
def customer_replace(ctx: Ctx, *, customer: Customer, **fields: Unpack[CustomerFields]) -> Customer:
    """Full replacement (PUT): optional fields not given become NULL."""
    return _customer_save(ctx, customer, complete_fields(fields, CustomerFields, CUSTOMER_DEFAULTS))


@transaction.atomic
def customer_update(ctx: Ctx, *, customer: Customer, data: Mapping[str, Any]) -> Customer:
    """Partial update (PATCH): only the given fields change; at least one must be given."""
    require_fields(data)
    return _customer_save(ctx, customer, data)


def customer_kept_reason(ctx: Ctx, customer: Customer) -> str | None:
    """Why the customer cannot be deleted, or None: one who was ever billed is kept, since
    invoices are never deleted; such a customer is deactivated instead."""
    if customer.invoices.exists():
        return (
            f"{customer} has invoices, and customers with invoices are kept: "
            "deactivate the customer instead."
        )
    return None


@transaction.atomic
def customer_delete(ctx: Ctx, *, customer: Customer) -> None:
    try:
        with recording_delete(ctx, customer):
            delete_protected(customer)
    except Conflict as exc:
        kept = customer_kept_reason(ctx, customer)
        if kept is None:
            raise
        raise Conflict(
            kept, reason=CoreErrorCode.PROTECTED_BY_REFERENCES, extra=exc.extra
        ) from None


@transaction.atomic
def customers_deactivate(ctx: Ctx, *, customers: Iterable[Customer]) -> int:
    """Deactivate the given customers; the number that were active."""
    changed = 0
    for customer in customers:
        if customer.is_active:
            customer_update(ctx, customer=customer, data={"is_active": False})
            changed += 1
    return changed


@transaction.atomic
def property_customer_check(ctx: Ctx, *, prop: Property, customer_id: int) -> None:
    """The customer must exist (404); a property with invoices keeps its customer (409)."""
    customer_get(ctx, customer_id=customer_id)
    if prop.pk is None:
        return
    # The stored customer, not the instance's: the admin's form has already set the new one.
    # The row lock keeps an invoice from being written for it while it moves.
    stored = Property.objects.of(ctx).select_for_update().filter(pk=prop.pk)
    moving = stored.values_list("customer_id", flat=True).first() != customer_id
    if moving and prop.invoices.exists():
        raise Conflict(
            "Property has invoices and cannot move to another customer",
            reason=CustomerErrorCode.PROPERTY_HAS_INVOICES,
        )


# The shortest label and first address line a property may have (the contract's 2..80 and
# 3..120; the maxima are the columns' own lengths).
PROPERTY_MIN_LENGTHS = {"label": 2, "address1": 3}


def property_text_errors(ctx: Ctx, data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(field, message) for each text too short to name or find a property."""
    return [
        (name, f"Ensure this field has at least {minimum} characters.")
        for name, minimum in PROPERTY_MIN_LENGTHS.items()
        if isinstance(data.get(name), str) and len(data[name].strip()) < minimum
    ]


def _property_save(ctx: Ctx, prop: Property, data: Mapping[str, Any]) -> Property:
    errors = property_text_errors(ctx, data)
    if errors:
        raise InvalidInput([FieldError(name, msg, "min_length") for name, msg in errors])
    data = null_blanks(data, PROPERTY_DEFAULTS)
    if "customer_id" in data:
        property_customer_check(ctx, prop=prop, customer_id=data["customer_id"])
    return save_recorded(ctx, prop, data)


@transaction.atomic
def property_create(ctx: Ctx, **fields: Unpack[PropertyFields]) -> Property:
    return _property_save(
        ctx,
        Property(company=company_of(ctx)),
        complete_fields(fields, PropertyFields, PROPERTY_DEFAULTS),
    )


@transaction.atomic
def property_replace(ctx: Ctx, *, prop: Property, **fields: Unpack[PropertyFields]) -> Property:
    """Full replacement (PUT): optional fields not given return to their defaults."""
    return _property_save(ctx, prop, complete_fields(fields, PropertyFields, PROPERTY_DEFAULTS))


@transaction.atomic
def property_update(ctx: Ctx, *, prop: Property, data: Mapping[str, Any]) -> Property:
    require_fields(data)
    return _property_save(ctx, prop, data)


@transaction.atomic
def property_delete(ctx: Ctx, *, prop: Property) -> None:
    with recording_delete(ctx, prop):
        delete_protected(prop)
