"""Query filters: every value is validated (a bad one is a 422 with loc ["query", name])."""

from django import forms
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from catalog import selectors
from catalog.models import Item, ItemKind, MovementKind, StockMovement
from ektor.api.fields import ASCII_DECIMAL
from ektor.api.filters import (
    IdFilter,
    IsoDateFilter,
    SearchFilter,
    StrictBooleanFilter,
    StrictFilterSet,
    TextFilter,
)
from ektor.ctx import request_ctx


class PriceFormField(forms.DecimalField):
    default_error_messages = {
        "invalid": "Input should be an amount of money (at least 0, at most two decimals)"
    }

    def __init__(self, **kwargs):
        kwargs.update(min_value=0, max_digits=12, decimal_places=2)
        super().__init__(**kwargs)

    def to_python(self, value):
        if value not in self.empty_values and not ASCII_DECIMAL.match(str(value).strip()):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


@extend_schema_field(OpenApiTypes.DECIMAL)
class PriceFilter(filters.Filter):
    field_class = PriceFormField


class ItemFilter(StrictFilterSet):
    q = SearchFilter(
        selectors.item_search, help_text="Words to find in the name, SKU or description"
    )
    kind = filters.ChoiceFilter(choices=ItemKind.choices)
    category = TextFilter(
        field_name="category", lookup_expr="iexact", max_length=60, help_text="This category only"
    )
    min_price = PriceFilter(field_name="price", lookup_expr="gte")
    max_price = PriceFilter(field_name="price", lookup_expr="lte")
    in_stock_only = StrictBooleanFilter(method="filter_in_stock")
    low_stock = StrictBooleanFilter(method="filter_low_stock")
    sort = filters.ChoiceFilter(
        choices=[(value, value) for value in selectors.ITEM_SORT_CHOICES],
        method="filter_sort",
        help_text="A field, descending with '-'; newest first by default",
    )

    class Meta:
        model = Item
        fields = ["q", "kind", "category", "min_price", "max_price", "in_stock_only"]
        fields += ["low_stock", "sort"]

    def filter_in_stock(self, queryset, name, value):
        return selectors.item_filter_in_stock(request_ctx(self.request), queryset, value)

    def filter_low_stock(self, queryset, name, value):
        return selectors.item_filter_low_stock(request_ctx(self.request), queryset, value)

    def filter_sort(self, queryset, name, value):
        return selectors.item_sort(request_ctx(self.request), queryset, value)


class StockMovementFilter(StrictFilterSet):
    item_id = IdFilter(field_name="item_id", help_text="Only this item's movements")
    kind = filters.ChoiceFilter(choices=MovementKind.choices)
    visit_id = IdFilter(field_name="visit_id", help_text="Only this visit's usage")
    from_date = IsoDateFilter(method="filter_from", help_text="Made on this day or later")
    to_date = IsoDateFilter(method="filter_to", help_text="Made on this day or earlier")

    class Meta:
        model = StockMovement
        fields = ["item_id", "kind", "visit_id", "from_date", "to_date"]

    def filter_from(self, queryset, name, value):
        return selectors.movement_filter_dates(request_ctx(self.request), queryset, from_date=value)

    def filter_to(self, queryset, name, value):
        return selectors.movement_filter_dates(request_ctx(self.request), queryset, to_date=value)
