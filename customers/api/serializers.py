"""Input serializers check shape and JSON types; output serializers give the contract's fields."""

from django.core.validators import EmailValidator
from rest_framework import serializers

from customers.models import Customer, Property
from ektor.api.fields import StrictBooleanField, StrictCharField, StrictIntegerField
from ektor.api.output import ModelOutput


def optional_text(max_length: int | None = None) -> StrictCharField:
    """Optional text: absent on create/PUT means null; "" is stored as null by the services."""
    return StrictCharField(max_length=max_length, allow_null=True, allow_blank=True, default=None)


class CustomerIn(serializers.Serializer):
    first_name = StrictCharField(min_length=1, max_length=60)
    last_name = StrictCharField(min_length=1, max_length=60)
    email = StrictCharField(
        max_length=254,
        allow_null=True,
        allow_blank=True,
        default=None,
        validators=[EmailValidator(message="Input should be a valid email address")],
    )
    phone = optional_text(30)
    is_active = StrictBooleanField(default=True)


class CustomerOut(ModelOutput):
    customer_id = serializers.IntegerField(source="id", read_only=True)

    class Meta:
        model = Customer
        fields = ["customer_id", "first_name", "last_name", "email", "phone", "is_active"]
        fields += ["created_at", "updated_at"]
        read_only_fields = fields


class PropertyIn(serializers.Serializer):
    customer_id = StrictIntegerField(min_value=1)
    label = StrictCharField(min_length=2, max_length=80)
    address1 = StrictCharField(min_length=3, max_length=120)
    address2 = optional_text(120)
    city = optional_text(80)
    state = optional_text(40)
    postal_code = optional_text(20)
    notes = optional_text()
    is_active = StrictBooleanField(default=True)


class PropertyOut(ModelOutput):
    property_id = serializers.IntegerField(source="id", read_only=True)
    customer_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = Property
        fields = ["property_id", "customer_id", "label", "address1", "address2", "city"]
        fields += ["state", "postal_code", "notes", "is_active", "created_at", "updated_at"]
        read_only_fields = fields
