"""Input serializers check shape and types; the services decide. Output ones only render."""

from rest_framework import serializers

from ektor.api.fields import (
    StrictBooleanField,
    StrictCharField,
    StrictDecimalField,
    StrictIntegerField,
)
from ektor.api.output import ModelOutput, Output
from tenancy.models import Company, Role


class CompanyOut(ModelOutput):
    company_id = serializers.IntegerField(source="id", read_only=True)
    reminder_days = serializers.ListField(child=serializers.IntegerField(), read_only=True)
    request_due_days = serializers.DictField(child=serializers.IntegerField(), read_only=True)

    class Meta:
        model = Company
        fields = ["company_id", "slug", "name", "legal_name", "address", "phone", "email"]
        fields += ["tax_rate", "tax_services", "payment_terms_days", "currency", "time_zone"]
        fields += ["reminder_days", "request_due_days"]
        read_only_fields = fields


class CompanyIn(serializers.Serializer):
    name = StrictCharField(min_length=1, max_length=120)
    legal_name = StrictCharField(max_length=200, allow_blank=True)
    address = StrictCharField(allow_blank=True, max_length=1000)
    phone = StrictCharField(allow_blank=True, max_length=30)
    email = serializers.EmailField(allow_blank=True, max_length=254)
    tax_rate = StrictDecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100)
    tax_services = StrictBooleanField()
    payment_terms_days = StrictIntegerField(min_value=0, max_value=365)
    currency = serializers.RegexField(r"^[A-Z]{3}$")
    time_zone = StrictCharField(max_length=64)
    reminder_days = serializers.ListField(
        child=StrictIntegerField(min_value=1, max_value=365), max_length=10
    )
    request_due_days = serializers.DictField(child=StrictIntegerField(min_value=1, max_value=365))


class MyCompanyOut(Output):
    company_id = serializers.IntegerField()
    slug = serializers.CharField()
    name = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices)
    is_owner = serializers.BooleanField()
    is_current = serializers.BooleanField()


class CompanyChoiceIn(serializers.Serializer):
    company = StrictCharField(max_length=50)
