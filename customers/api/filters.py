"""Query filters: every value is validated (a bad one is a 422 with loc ["query", name])."""

from customers import selectors
from customers.models import Customer, Property
from ektor.api.filters import IdFilter, SearchFilter, StrictFilterSet


class CustomerFilter(StrictFilterSet):
    q = SearchFilter(selectors.customer_search)

    class Meta:
        model = Customer
        fields = ["q"]


class PropertyFilter(StrictFilterSet):
    q = SearchFilter(selectors.property_search)
    customer_id = IdFilter(field_name="customer_id", help_text="Only this customer's properties")

    class Meta:
        model = Property
        fields = ["q", "customer_id"]
