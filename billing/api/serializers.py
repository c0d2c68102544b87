"""Input serializers check shape and JSON types; output serializers render the contract."""

from decimal import Decimal

from rest_framework import serializers

from billing.models import InvoiceStatus, PaymentMethod
from ektor.api.fields import MoneyField, StrictCharField, StrictIntegerField


def _notes() -> StrictCharField:
    return StrictCharField(required=False, allow_null=True, allow_blank=True, max_length=5000)


class InvoiceCreateIn(serializers.Serializer):
    customer_id = StrictIntegerField(min_value=1)
    property_id = StrictIntegerField(min_value=1)
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    issued_date = serializers.DateField()
    due_date = serializers.DateField(required=False, allow_null=True)
    subtotal = MoneyField()
    tax = MoneyField()
    total = MoneyField()
    status = serializers.ChoiceField(choices=InvoiceStatus.choices, required=False)
    notes = _notes()


class InvoiceUpdateIn(serializers.Serializer):
    """PATCH of a draft; the status changes only through send, payments and void."""

    customer_id = StrictIntegerField(min_value=1, required=False)
    property_id = StrictIntegerField(min_value=1, required=False)
    period_start = serializers.DateField(required=False)
    period_end = serializers.DateField(required=False)
    issued_date = serializers.DateField(required=False)
    due_date = serializers.DateField(required=False, allow_null=True)
    subtotal = MoneyField(required=False)
    tax = MoneyField(required=False)
    total = MoneyField(required=False)
    notes = _notes()

    def validate(self, attrs):
        if "status" in self.initial_data:
            raise serializers.ValidationError(
                {"status": "The status changes only through the send and void actions"}
            )
        return attrs


class InvoiceVoidIn(serializers.Serializer):
    reason = StrictCharField(max_length=255)


class InvoiceOut(serializers.Serializer):
    invoice_id = serializers.IntegerField(source="id")
    number = serializers.CharField(allow_null=True)
    customer_id = serializers.IntegerField()
    property_id = serializers.IntegerField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    status = serializers.ChoiceField(choices=InvoiceStatus.choices)
    issued_date = serializers.DateField()
    due_date = serializers.DateField(allow_null=True)
    subtotal = MoneyField()
    tax = MoneyField()
    total = MoneyField()
    amount_paid = MoneyField()
    balance_due = MoneyField()
    notes = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class PaymentIn(serializers.Serializer):
    invoice_id = StrictIntegerField(min_value=1)
    amount = MoneyField(min_value=Decimal("0.01"))
    paid_date = serializers.DateField(required=False)
    method = serializers.ChoiceField(choices=PaymentMethod.choices, required=False)
    reference = StrictCharField(
        required=False, allow_null=True, allow_blank=True, max_length=80, trim_whitespace=True
    )
    notes = _notes()


class PaymentOut(serializers.Serializer):
    payment_id = serializers.IntegerField(source="id")
    invoice_id = serializers.IntegerField()
    amount = MoneyField()
    paid_date = serializers.DateField()
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    reference = serializers.CharField(allow_null=True)
    notes = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()


class StatementQuery(serializers.Serializer):
    """`from` and `to` are Python keywords, hence the fields are declared in get_fields."""

    def get_fields(self):
        return {"from": serializers.DateField(), "to": serializers.DateField()}


class StatementPath(serializers.Serializer):
    customer_id = serializers.IntegerField(min_value=1)


class StatementItemOut(serializers.Serializer):
    invoice_id = serializers.IntegerField(source="id")
    number = serializers.CharField(allow_null=True)
    issued_date = serializers.DateField()
    due_date = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(choices=InvoiceStatus.choices)
    total = MoneyField()
    amount_paid = MoneyField()
    balance_due = MoneyField()


class StatementOut(serializers.Serializer):
    customer_id = serializers.IntegerField(source="customer.id")
    customer_name = serializers.CharField()
    from_date = serializers.DateField()
    to_date = serializers.DateField()
    items = StatementItemOut(many=True)
    total = MoneyField()
    paid_total = MoneyField()
    balance_due = MoneyField()
