"""Reads of customers and properties: every queryset the API and the admin list from."""

from django.db.models import Count, Q, QuerySet

from customers.models import Customer, Property
from ektor.api.errors import NotFound

CUSTOMER_SEARCH_FIELDS = ("first_name", "last_name", "email", "phone")
PROPERTY_SEARCH_FIELDS = ("label", "address1", "address2", "city")


def _search(queryset: QuerySet, q: str | None, fields: tuple[str, ...]) -> QuerySet:
    """Every word of `q` must match one of `fields` ("martha perez" finds Martha Perez)."""
    for term in (q or "").split():
        match = Q()
        for name in fields:
            match |= Q(**{f"{name}__icontains": term})
        queryset = queryset.filter(match)
    return queryset


def customer_list(*, q: str | None = None) -> QuerySet[Customer]:
    return _search(Customer.objects.order_by("-id"), q, CUSTOMER_SEARCH_FIELDS)


def customer_list_with_counts() -> QuerySet[Customer]:
    """Customers with `property_count`, in one query (the admin changelist shows it)."""
    return Customer.objects.annotate(property_count=Count("properties")).order_by("-id")


def customer_get(*, customer_id: int) -> Customer:
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise NotFound("Customer")
    return customer


def property_list(*, q: str | None = None, customer_id: int | None = None) -> QuerySet[Property]:
    queryset = Property.objects.order_by("-id")
    if customer_id is not None:
        queryset = queryset.filter(customer_id=customer_id)
    return _search(queryset, q, PROPERTY_SEARCH_FIELDS)
