"""Reads of customers and properties: every queryset the API and the admin list from."""

from typing import Any, cast

from django.db.models import Count, IntegerField, Model, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from core.context import Ctx
from core.errors import NotFound
from customers.error_codes import CustomerErrorCode
from customers.models import Customer, Property
from tenancy.scoping import on_route

CUSTOMER_SEARCH_FIELDS = ("first_name", "last_name", "email", "phone")
PROPERTY_SEARCH_FIELDS = ("label", "address1", "address2", "city")


PROPERTY_ADDRESS_FIELDS = ("address1", "address2", "city", "postal_code")


def _contains_any(fields: tuple[str, ...], term: str) -> Q:
    match = Q()
    for name in fields:
        match |= Q(**{f"{name}__icontains": term})
    return match


def _search(queryset: QuerySet[Any], q: str, fields: tuple[str, ...]) -> QuerySet[Any]:
    """Every word of `q` must match one of `fields` ("martha perez" finds Martha Perez)."""
    for term in q.split():
        queryset = queryset.filter(_contains_any(fields, term))
    return queryset


def customer_list(ctx: Ctx) -> QuerySet[Customer]:
    return on_route(ctx, Customer.objects.of(ctx)).order_by("-id")


def customer_search(ctx: Ctx, queryset: QuerySet[Customer], q: str) -> QuerySet[Customer]:
    return _search(queryset, q, CUSTOMER_SEARCH_FIELDS)


def customer_search_with_addresses(
    ctx: Ctx, queryset: QuerySet[Customer], q: str
) -> QuerySet[Customer]:
    """The office's search: every word matches the customer's name, email or phone, or the
    address of one of their properties. The properties are a subquery of customer ids, not a
    join, so a customer with many properties is listed once without a DISTINCT."""
    for term in q.split():
        at_address = Property.objects.of(ctx).filter(_contains_any(PROPERTY_ADDRESS_FIELDS, term))
        queryset = queryset.filter(
            _contains_any(CUSTOMER_SEARCH_FIELDS, term) | Q(pk__in=at_address.values("customer_id"))
        )
    return queryset


def customer_pickable(ctx: Ctx, queryset: QuerySet[Customer]) -> QuerySet[Customer]:
    """The customers offered where one is chosen for new work (the invoice form, the
    autocompletes): the active ones. Inactive customers stay in lists and reports."""
    return queryset.filter(is_active=True)


def _count_of(related: str, **filters: Any) -> Coalesce:
    """The number of a customer's related rows, as a subquery of the customer row: the database
    counts for the rows it returns (a page), never joining and grouping the whole table."""
    model = cast("type[Model]", Customer._meta.get_field(related).related_model)
    counted = (
        model._default_manager.filter(customer=OuterRef("pk"), **filters)
        .order_by()
        .values("customer")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def customer_list_with_counts(ctx: Ctx) -> QuerySet[Customer]:
    """Customers with `property_count` and `open_invoice_count` (sent, not yet paid), in one
    query (the admin changelist shows both)."""
    return (
        on_route(ctx, Customer.objects.of(ctx))
        .annotate(
            property_count=_count_of("properties"),
            # "sent" is billing's status of an invoice out and unpaid; customers does not import
            # billing (billing depends on customers), hence the literal.
            open_invoice_count=_count_of("invoices", status="sent"),
        )
        .order_by("-id")
    )


def customer_get(ctx: Ctx, *, customer_id: int) -> Customer:
    customer = customer_list(ctx).filter(pk=customer_id).first()
    if customer is None:
        raise NotFound("Customer", reason=CustomerErrorCode.CUSTOMER_NOT_FOUND)
    return customer


def property_list(ctx: Ctx) -> QuerySet[Property]:
    return on_route(ctx, Property.objects.of(ctx)).order_by("-id")


def property_search(ctx: Ctx, queryset: QuerySet[Property], q: str) -> QuerySet[Property]:
    return _search(queryset, q, PROPERTY_SEARCH_FIELDS)


def customer_billing_property(ctx: Ctx, *, customer_id: int) -> Property | None:
    """Where a customer's statement is addressed: their first property still active (their
    first of all when none is), none when they have no property."""
    return (
        Property.objects.of(ctx)
        .filter(customer_id=customer_id)
        .order_by("-is_active", "id")
        .first()
    )
