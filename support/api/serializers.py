"""Input serializers check shape and JSON types; the output renders the contract's fields."""

from rest_framework import serializers

from ektor.api.fields import StrictCharField, StrictIntegerField
from ektor.api.output import ModelOutput
from support.models import CustomerRequest, RequestChannel, RequestKind


def _description() -> StrictCharField:
    return StrictCharField(allow_null=True, allow_blank=True, max_length=10000, required=False)


class RequestCreateIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=RequestKind.choices)
    channel = serializers.ChoiceField(choices=RequestChannel.choices, default=RequestChannel.API)
    customer_id = StrictIntegerField(min_value=1)
    property_id = StrictIntegerField(min_value=1, required=False, allow_null=True)
    invoice_id = StrictIntegerField(min_value=1, required=False, allow_null=True)
    subject = StrictCharField(min_length=1, max_length=200)
    description = _description()
    received_at = serializers.DateTimeField(required=False, help_text="Now when absent")


class RequestUpdateIn(serializers.Serializer):
    """PATCH: what the request is about; the status, assignee and answer move through the
    actions."""

    kind = serializers.ChoiceField(choices=RequestKind.choices, required=False)
    channel = serializers.ChoiceField(choices=RequestChannel.choices, required=False)
    customer_id = StrictIntegerField(min_value=1, required=False)
    property_id = StrictIntegerField(min_value=1, required=False, allow_null=True)
    invoice_id = StrictIntegerField(min_value=1, required=False, allow_null=True)
    subject = StrictCharField(min_length=1, max_length=200, required=False)
    description = _description()

    def validate(self, attrs):
        moved = sorted({"status", "assignee_id", "response"} & set(self.initial_data))
        if moved:
            raise serializers.ValidationError(
                dict.fromkeys(moved, "This changes only through the request's actions")
            )
        return attrs


class RequestAssignIn(serializers.Serializer):
    assignee_id = StrictIntegerField(min_value=1)


class RequestAnswerIn(serializers.Serializer):
    response = StrictCharField(min_length=1, max_length=10000)


class RequestOut(ModelOutput):
    request_id = serializers.IntegerField(source="id", read_only=True)
    customer_id = serializers.IntegerField(read_only=True)
    property_id = serializers.IntegerField(read_only=True, allow_null=True)
    invoice_id = serializers.IntegerField(read_only=True, allow_null=True)
    assignee_id = serializers.IntegerField(read_only=True, allow_null=True)
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = CustomerRequest
        fields = ["request_id", "number", "kind", "channel", "customer_id", "property_id"]
        fields += ["invoice_id", "subject", "description", "status", "assignee_id"]
        fields += ["received_at", "due_date", "answered_at", "response", "closed_at"]
        fields += ["is_overdue", "created_at", "updated_at"]
        read_only_fields = fields
