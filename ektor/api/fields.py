"""Serializer fields that are strict about JSON types: a number is not a name."""

import re
from datetime import date
from decimal import Decimal

from rest_framework import serializers

# Python's int(), Decimal() and date parsing read any Unicode digit (Arabic-Indic, fullwidth) and
# "1_000"; numbers and dates we are sent are plain ASCII.
ASCII_DECIMAL = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")
ISO_DATE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")
DATE_WRONG_FORMAT = "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."


def parse_iso_date(value: object) -> date:
    """A YYYY-MM-DD date, in a body or a query string; ValueError carries the message to show:
    a wrong shape, or a date of the right shape that the calendar does not have."""
    text = value.strip() if isinstance(value, str) else ""
    match = ISO_DATE.match(text)
    if match is None:
        raise ValueError(DATE_WRONG_FORMAT)
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        raise ValueError(f"{text} is not a valid date") from None


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


class StrictDecimalField(serializers.DecimalField):
    """A decimal number in, as a JSON number or a string of plain ASCII digits; not a boolean."""

    default_error_messages = {"invalid": "Input should be a valid number"}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (str, int, float)):
            self.fail("invalid")
        if isinstance(data, str) and not ASCII_DECIMAL.match(data.strip()):
            self.fail("invalid")
        value = super().to_internal_value(data)
        # "-0" passes min_value 0; kept, it would be answered as -0.00 but stored as 0.00.
        return abs(value) if value == 0 else value


class MoneyField(StrictDecimalField):
    """Money in, as a JSON number or string; at most 2 decimal places, never negative."""

    default_error_messages = {"invalid": "Input should be a valid amount of money"}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", Decimal("0"))
        super().__init__(**kwargs)


class MeasurementField(StrictDecimalField):
    """A water test's value within its physical range (`min_value`..`max_value`), to 3 places."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 9)
        kwargs.setdefault("decimal_places", 3)
        super().__init__(**kwargs)


class IsoDateField(serializers.DateField):
    """A date as YYYY-MM-DD (see parse_iso_date)."""

    def to_internal_value(self, value):
        try:
            return parse_iso_date(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc), code="invalid") from None
