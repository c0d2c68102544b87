"""Serializer fields that are strict about JSON types: a number is not a name."""

from decimal import Decimal

from rest_framework import serializers


class StrictCharField(serializers.CharField):
    default_error_messages = {"invalid": "Input should be a valid string"}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """Only a JSON integer (not a string, float or boolean), within BIGINT by default."""

    default_error_messages = {"invalid": "Input should be a valid integer"}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """true/false, or the integers 1/0 (as the original API accepted)."""

    default_error_messages = {"invalid": "Input should be a valid boolean (true/false or 1/0)"}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        if isinstance(data, int) and data in (0, 1):
            return bool(data)
        self.fail("invalid")


class MoneyField(serializers.DecimalField):
    """Money in, as a JSON number or string; at most 2 decimal places, never negative."""

    default_error_messages = {"invalid": "Input should be a valid amount of money"}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", Decimal("0"))
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (str, int, float)):
            self.fail("invalid")
        return super().to_internal_value(data)
