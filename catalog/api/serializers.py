"""Input serializers check shape and JSON types; output serializers give the contract's fields."""

from decimal import Decimal

from rest_framework import serializers

from catalog.models import Item, ItemKind, ItemUnit, MovementKind, StockMovement
from catalog.services import OFFICE_KINDS
from ektor.api.fields import MoneyField, StrictBooleanField, StrictCharField, StrictIntegerField
from ektor.api.output import ModelOutput


def stock_field(**kwargs) -> MoneyField:
    """A quantity of stock: up to three decimals (a chemical's gallons)."""
    return MoneyField(max_digits=12, decimal_places=3, **kwargs)


class ItemIn(serializers.Serializer):
    sku = StrictCharField(min_length=1, max_length=40)
    name = StrictCharField(min_length=1, max_length=120)
    kind = serializers.ChoiceField(choices=ItemKind.choices)
    category = StrictCharField(max_length=60, allow_blank=True, default="")
    description = StrictCharField(allow_blank=True, default="")
    unit = serializers.ChoiceField(choices=ItemUnit.choices, default=ItemUnit.EACH)
    price = MoneyField()
    cost = MoneyField(allow_null=True, default=None)
    taxable = StrictBooleanField(default=True)
    track_stock = StrictBooleanField(default=False)
    reorder_level = stock_field(default=Decimal("0"))
    is_active = StrictBooleanField(default=True)


class ItemOut(ModelOutput):
    item_id = serializers.IntegerField(source="id", read_only=True)

    class Meta:
        model = Item
        fields = ["item_id", "sku", "name", "kind", "category", "description", "unit", "price"]
        fields += ["cost", "taxable", "track_stock", "stock_quantity", "reorder_level"]
        fields += ["is_active", "created_at", "updated_at"]
        read_only_fields = fields


class StockMovementIn(serializers.Serializer):
    item_id = StrictIntegerField(min_value=1)
    kind = serializers.ChoiceField(choices=[(k.value, k.label) for k in OFFICE_KINDS])
    # Signed for an adjustment; the service judges the sign of each kind.
    quantity = stock_field(min_value=None)
    unit_cost = MoneyField(allow_null=True, default=None)
    note = StrictCharField(max_length=255, allow_blank=True, default="")


class StockMovementOut(ModelOutput):
    movement_id = serializers.IntegerField(source="id", read_only=True)
    item_id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=MovementKind.choices, read_only=True)
    visit_id = serializers.IntegerField(read_only=True, allow_null=True)
    created_by = serializers.IntegerField(source="created_by_id", read_only=True, allow_null=True)

    class Meta:
        model = StockMovement
        fields = ["movement_id", "item_id", "kind", "quantity", "stock_after", "unit_cost"]
        fields += ["visit_id", "note", "created_by", "created_at"]
        read_only_fields = fields
