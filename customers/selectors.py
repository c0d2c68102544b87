"""Reads of customers and properties: every queryset the API and the admin list from."""

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

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


def _count_of(related: str, **filters) -> Coalesce:
    """The number of a customer's related rows, as a subquery of the customer row: the database
    counts for the rows it returns (a page), never joining and grouping the whole table."""
    model = Customer._meta.get_field(related).related_model
    counted = (
        model.objects.filter(customer=OuterRef("pk"), **filters)
        .order_by()
        .values("customer")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def customer_list_with_counts() -> QuerySet[Customer]:
    """Customers with `property_count` and `open_invoice_count` (sent, not yet paid), in one
    query (the admin changelist shows both)."""
    return Customer.objects.annotate(
        property_count=_count_of("properties"),
        # "sent" is billing's status of an invoice out and unpaid; customers does not import
        # billing (billing depends on customers), hence the literal.
        open_invoice_count=_count_of("invoices", status="sent"),
    ).order_by("-id")


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
