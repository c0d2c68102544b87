"""Input serializers check shape and JSON types; output serializers give the contract's fields."""

from rest_framework import serializers

from customers.api.serializers import optional_text
from ektor.api.fields import IsoDateField, StrictBooleanField, StrictCharField, StrictIntegerField
from ektor.api.output import ModelOutput
from pools.models import (
    MAX_VOLUME_GALLONS,
    MIN_VOLUME_GALLONS,
    POOL_NAME_MAX_LENGTH,
    Equipment,
    EquipmentKind,
    Pool,
    PoolKind,
    Sanitizer,
    Surface,
)


class PoolIn(serializers.Serializer):
    property_id = StrictIntegerField(min_value=1)
    name = StrictCharField(min_length=1, max_length=POOL_NAME_MAX_LENGTH)
    kind = serializers.ChoiceField(choices=PoolKind.choices, default=PoolKind.POOL)
    volume_gallons = StrictIntegerField(min_value=MIN_VOLUME_GALLONS, max_value=MAX_VOLUME_GALLONS)
    surface = serializers.ChoiceField(choices=Surface.choices, default=Surface.PLASTER)
    sanitizer = serializers.ChoiceField(choices=Sanitizer.choices, default=Sanitizer.CHLORINE)
    is_indoor = StrictBooleanField(default=False)
    access_notes = optional_text()
    notes = optional_text()
    is_active = StrictBooleanField(default=True)


class PoolOut(ModelOutput):
    pool_id = serializers.IntegerField(source="id", read_only=True)
    property_id = serializers.IntegerField(read_only=True)
    # The property's customer, read through it (a pool follows its property when it moves).
    customer_id = serializers.IntegerField(source="property.customer_id", read_only=True)

    class Meta:
        model = Pool
        fields = ["pool_id", "property_id", "customer_id", "name", "kind", "volume_gallons"]
        fields += ["surface", "sanitizer", "is_indoor", "access_notes", "notes", "is_active"]
        fields += ["created_at", "updated_at"]
        read_only_fields = fields


class EquipmentIn(serializers.Serializer):
    pool_id = StrictIntegerField(min_value=1)
    kind = serializers.ChoiceField(choices=EquipmentKind.choices)
    make = optional_text(60)
    model = optional_text(60)
    serial_number = optional_text(60)
    installed_on = IsoDateField(allow_null=True, default=None)
    notes = optional_text()


class EquipmentOut(ModelOutput):
    equipment_id = serializers.IntegerField(source="id", read_only=True)
    pool_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = Equipment
        fields = ["equipment_id", "pool_id", "kind", "make", "model", "serial_number"]
        fields += ["installed_on", "notes"]
        read_only_fields = fields
