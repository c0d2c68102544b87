"""Input serializers check shape and JSON types; output serializers render the contract."""

from decimal import Decimal

from rest_framework import serializers

from billing.models import InvoiceStatus, PaymentMethod, balance_due
from billing.services import REVERSAL_REASON_MAX
from ektor.api.fields import IsoDateField, MoneyField, StrictCharField, StrictIntegerField
from ektor.api.lean import date_out, datetime_formatter, money_out


def _notes() -> StrictCharField:
    return StrictCharField(required=False, allow_null=True, allow_blank=True, max_length=5000)


class InvoiceCreateIn(serializers.Serializer):
    customer_id = StrictIntegerField(min_value=1)
    property_id = StrictIntegerField(min_value=1)
    period_start = IsoDateField()
    period_end = IsoDateField()
    issued_date = IsoDateField()
    due_date = IsoDateField(required=False, allow_null=True)
    subtotal = MoneyField()
    tax = MoneyField()
    total = MoneyField()
    status = serializers.ChoiceField(choices=InvoiceStatus.choices, default=InvoiceStatus.SENT)
    notes = _notes()


class InvoiceUpdateIn(serializers.Serializer):
    """PATCH of a draft; the status changes only through send, payments and void."""

    customer_id = StrictIntegerField(min_value=1, required=False)
    property_id = StrictIntegerField(min_value=1, required=False)
    period_start = IsoDateField(required=False)
    period_end = IsoDateField(required=False)
    issued_date = IsoDateField(required=False)
    due_date = IsoDateField(required=False, allow_null=True)
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


# The lean twin of InvoiceOut for lists (billing/tests/test_lean_output.py keeps them equal).
INVOICE_OUT_COLUMNS = (
    "id",
    "number",
    "customer_id",
    "property_id",
    "period_start",
    "period_end",
    "status",
    "issued_date",
    "due_date",
    "subtotal",
    "tax",
    "total",
    "amount_paid",
    "notes",
    "created_at",
    "updated_at",
)


def invoice_rows_out(rows) -> list[dict]:
    """InvoiceOut of `values(*INVOICE_OUT_COLUMNS)` rows of selectors.invoice_queryset()."""
    datetime_out = datetime_formatter()
    return [
        {
            "invoice_id": row["id"],
            "number": row["number"],
            "customer_id": row["customer_id"],
            "property_id": row["property_id"],
            "period_start": date_out(row["period_start"]),
            "period_end": date_out(row["period_end"]),
            "status": row["status"],
            "issued_date": date_out(row["issued_date"]),
            "due_date": date_out(row["due_date"]),
            "subtotal": money_out(row["subtotal"]),
            "tax": money_out(row["tax"]),
            "total": money_out(row["total"]),
            "amount_paid": money_out(row["amount_paid"]),
            # Here rather than in SQL, where it would run the payments subquery a second time.
            "balance_due": money_out(balance_due(row["status"], row["total"], row["amount_paid"])),
            "notes": row["notes"],
            "created_at": datetime_out(row["created_at"]),
            "updated_at": datetime_out(row["updated_at"]),
        }
        for row in rows
    ]


class PaymentIn(serializers.Serializer):
    invoice_id = StrictIntegerField(min_value=1)
    amount = MoneyField(min_value=Decimal("0.01"))
    paid_date = IsoDateField(
        required=False, help_text="Defaults to today (in the company's time zone)"
    )
    method = serializers.ChoiceField(choices=PaymentMethod.choices, default=PaymentMethod.OTHER)
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
    # Set once the payment is reversed (it then counts as nothing): when, by which user, why.
    reversed_at = serializers.DateTimeField(allow_null=True)
    reversed_by = serializers.IntegerField(source="reversed_by_id", allow_null=True)
    reversal_reason = serializers.CharField(allow_null=True)


class PaymentReverseIn(serializers.Serializer):
    reason = StrictCharField(max_length=REVERSAL_REASON_MAX)


def payment_out(payment) -> dict:
    """The lean twin of PaymentOut (billing/tests/test_lean_output.py keeps them equal)."""
    datetime_out = datetime_formatter()
    return {
        "payment_id": payment.id,
        "invoice_id": payment.invoice_id,
        "amount": money_out(payment.amount),
        "paid_date": date_out(payment.paid_date),
        "method": payment.method,
        "reference": payment.reference,
        "notes": payment.notes,
        "created_at": datetime_out(payment.created_at),
        "reversed_at": datetime_out(payment.reversed_at),
        "reversed_by": payment.reversed_by_id,
        "reversal_reason": payment.reversal_reason,
    }


class StatementQuery(serializers.Serializer):
    """`from` and `to` are Python keywords, hence the fields are declared in get_fields."""

    def get_fields(self):
        return {"from": IsoDateField(), "to": IsoDateField()}


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


def statement_out(statement) -> dict:
    """The lean twin of StatementOut (billing/tests/test_lean_output.py keeps them equal)."""
    return {
        "customer_id": statement.customer.id,
        "customer_name": statement.customer_name,
        "from_date": date_out(statement.from_date),
        "to_date": date_out(statement.to_date),
        "items": [
            {
                "invoice_id": item.id,
                "number": item.number,
                "issued_date": date_out(item.issued_date),
                "due_date": date_out(item.due_date),
                "status": item.status,
                "total": money_out(item.total),
                "amount_paid": money_out(item.amount_paid),
                "balance_due": money_out(item.balance_due),
            }
            for item in statement.items
        ],
        "total": money_out(statement.total),
        "paid_total": money_out(statement.paid_total),
        "balance_due": money_out(statement.balance_due),
        "opening_balance": money_out(statement.opening_balance),
        "payments": [
            {
                "payment_id": payment.id,
                "invoice_id": payment.invoice_id,
                "number": payment.number,
                "paid_date": date_out(payment.paid_date),
                "amount": money_out(payment.amount),
                "method": payment.method,
                "reference": payment.reference,
            }
            for payment in statement.payments
        ],
        "payments_total": money_out(statement.payments_total),
        "closing_balance": money_out(statement.closing_balance),
    }


class StatementPaymentOut(serializers.Serializer):
    payment_id = serializers.IntegerField(source="id")
    invoice_id = serializers.IntegerField()
    number = serializers.CharField(allow_null=True)
    paid_date = serializers.DateField()
    amount = MoneyField()
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    reference = serializers.CharField(allow_null=True)


class StatementOut(serializers.Serializer):
    """`items` to `balance_due`: the invoices issued in the period (v1). The account over the
    period: `opening_balance` (owed when it starts), the `payments` received in it and
    `closing_balance` (owed when it ends) = opening_balance + total - payments_total."""

    customer_id = serializers.IntegerField(source="customer.id")
    customer_name = serializers.CharField()
    from_date = serializers.DateField()
    to_date = serializers.DateField()
    items = StatementItemOut(many=True)
    total = MoneyField()
    paid_total = MoneyField()
    balance_due = MoneyField()
    opening_balance = MoneyField()
    payments = StatementPaymentOut(many=True)
    payments_total = MoneyField()
    closing_balance = MoneyField()
