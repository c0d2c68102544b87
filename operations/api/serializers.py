"""Input serializers check shape and physical ranges; the chemistry decides. Output only renders."""

from rest_framework import serializers

from ektor.api.fields import MeasurementField
from operations import chemistry


class LsiIn(serializers.Serializer):
    ph = MeasurementField(min_value=0, max_value=14)
    temperature_f = MeasurementField(min_value=32, max_value=130)
    calcium_hardness = MeasurementField(min_value=0, max_value=5000)
    total_alkalinity = MeasurementField(min_value=0, max_value=1000)
    cyanuric_acid = MeasurementField(min_value=0, max_value=500, default=0)
    tds = MeasurementField(min_value=0, max_value=20000, default=1000)


class _Number(serializers.FloatField):
    """A Decimal rendered as a JSON number (the calculator's figures are not money), to 4
    places: the factors are exact fractions of the tables' rows (0.0666... for 33 °F)."""

    def to_representation(self, value) -> float:
        return round(float(value), 4)


class LsiFactorsOut(serializers.Serializer):
    temperature = _Number(read_only=True)
    calcium = _Number(read_only=True)
    alkalinity = _Number(read_only=True)
    tds_constant = _Number(read_only=True)


class LsiOut(serializers.Serializer):
    lsi = _Number(read_only=True)
    carbonate_alkalinity = _Number(read_only=True)
    factors = LsiFactorsOut(source="*", read_only=True)
    status = serializers.ChoiceField(choices=chemistry.STATUSES, read_only=True)
    method = serializers.CharField(read_only=True)
