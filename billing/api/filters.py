"""Query filters: every value is validated (a bad one is a 422 with loc ["query", name])."""

from django_filters import rest_framework as filters

from billing import selectors
from billing.models import Credit, Invoice, InvoiceStatus, Payment
from ektor.api.filters import IdFilter, IsoDateFilter, StrictBooleanFilter, StrictFilterSet
from ektor.ctx import request_ctx


class InvoiceFilter(StrictFilterSet):
    status = filters.ChoiceFilter(choices=InvoiceStatus.choices)
    customer_id = IdFilter(field_name="customer_id")
    property_id = IdFilter(field_name="property_id")
    from_date = IsoDateFilter(field_name="issued_date", lookup_expr="gte")
    to_date = IsoDateFilter(field_name="issued_date", lookup_expr="lte")
    overdue = StrictBooleanFilter(method="filter_overdue")

    class Meta:
        model = Invoice
        fields = ["status", "customer_id", "property_id", "from_date", "to_date", "overdue"]

    def filter_overdue(self, queryset, name, value):
        return selectors.invoice_filter_overdue(request_ctx(self.request), queryset, value)


class PaymentFilter(StrictFilterSet):
    invoice_id = IdFilter(field_name="invoice_id")

    class Meta:
        model = Payment
        fields = ["invoice_id"]


class CreditFilter(StrictFilterSet):
    customer_id = IdFilter(field_name="customer_id")

    class Meta:
        model = Credit
        fields = ["customer_id"]
