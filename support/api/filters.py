"""Query filters: every value is validated (a bad one is a 422 with loc ["query", name])."""

from django_filters import rest_framework as filters

from ektor.api.filters import IdFilter, StrictBooleanFilter, StrictFilterSet
from ektor.ctx import request_ctx
from support import selectors
from support.models import CustomerRequest, RequestKind, RequestStatus


class RequestFilter(StrictFilterSet):
    status = filters.ChoiceFilter(choices=RequestStatus.choices)
    kind = filters.ChoiceFilter(choices=RequestKind.choices)
    customer_id = IdFilter(field_name="customer_id")
    assignee_id = IdFilter(field_name="assignee_id")
    overdue = StrictBooleanFilter(method="filter_overdue")

    class Meta:
        model = CustomerRequest
        fields = ["status", "kind", "customer_id", "assignee_id", "overdue"]

    def filter_overdue(self, queryset, name, value):
        return selectors.request_filter_overdue(request_ctx(self.request), queryset, value)
