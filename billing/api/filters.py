"""Query filters: every value is validated (a bad one is a 422 with loc ["query", name])."""

from django import forms
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from billing import selectors
from billing.models import Invoice, InvoiceStatus, Payment


class StrictBooleanFormField(forms.Field):
    """Only `true`/`false` (or 1/0): anything else is an error, not "no filter"."""

    default_error_messages = {"invalid": "Input should be a valid boolean (true/false or 1/0)"}
    VALUES = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return self.VALUES[str(value).lower()]
        except KeyError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class IdFilter(filters.Filter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        super().__init__(*args, **kwargs)


class IsoDateFilter(filters.DateFilter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        super().__init__(*args, **kwargs)


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanFilter(filters.Filter):
    field_class = StrictBooleanFormField


class InvoiceFilter(filters.FilterSet):
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
        return selectors.invoice_filter_overdue(queryset, value)


class PaymentFilter(filters.FilterSet):
    invoice_id = IdFilter(field_name="invoice_id")

    class Meta:
        model = Payment
        fields = ["invoice_id"]
