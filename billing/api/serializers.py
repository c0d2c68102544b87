"""Input serializers check shape and JSON types; output serializers render the contract."""

import datetime
from decimal import Decimal

from rest_framework import serializers

from billing.aging import BUCKETS
from billing.credits import REASON_MAX
from billing.models import (
    CreditSource,
    InvoiceStatus,
    LineKind,
    PaymentMethod,
    RunStatus,
    balance_due,
)
from billing.services import OVERPAYMENT_CREDIT, REVERSAL_REASON_MAX
from ektor.api.fields import (
    DATE_WRONG_FORMAT,
    IsoDateField,
    MoneyField,
    StrictBooleanField,
    StrictCharField,
    StrictDecimalField,
    StrictIntegerField,
)
from ektor.api.filters import MAX_ID
from ektor.api.output import Output


def _notes() -> StrictCharField:
    return StrictCharField(required=False, allow_null=True, allow_blank=True, max_length=5000)


class InvoiceLineIn(serializers.Serializer):
    """One line: `kind` defaults from the item's kind, `description` and `unit_price` from the
    item, `quantity` to 1, `tax_rate` to the company's rate for what the line bills."""

    # An existing line of the invoice (PATCH): it is kept, with what a billing run billed on it.
    line_id = StrictIntegerField(min_value=1, required=False, allow_null=True)
    kind = serializers.ChoiceField(choices=LineKind.choices, required=False)
    description = StrictCharField(required=False, allow_blank=True, max_length=255)
    item_id = StrictIntegerField(min_value=1, required=False, allow_null=True)
    visit_id = StrictIntegerField(min_value=1, required=False, allow_null=True)
    plan_id = StrictIntegerField(min_value=1, required=False, allow_null=True)
    quantity = StrictDecimalField(
        max_digits=12, decimal_places=3, min_value=Decimal("0.001"), required=False
    )
    # Negative only on an adjustment (the service says so).
    unit_price = MoneyField(min_value=None, required=False)
    tax_rate = StrictDecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        required=False,
        allow_null=True,
    )


class InvoiceCreateIn(serializers.Serializer):
    """With `lines`, subtotal, tax and total may be left out: they are the lines' sums."""

    customer_id = StrictIntegerField(min_value=1)
    property_id = StrictIntegerField(min_value=1)
    period_start = IsoDateField()
    period_end = IsoDateField()
    issued_date = IsoDateField()
    due_date = IsoDateField(required=False, allow_null=True)
    subtotal = MoneyField(required=False)
    tax = MoneyField(required=False)
    total = MoneyField(required=False)
    status = serializers.ChoiceField(choices=InvoiceStatus.choices, default=InvoiceStatus.SENT)
    notes = _notes()
    lines = InvoiceLineIn(many=True, required=False)

    def get_fields(self):
        fields = super().get_fields()
        data = getattr(self, "initial_data", None)
        if not (isinstance(data, dict) and data.get("lines")):
            for name in ("subtotal", "tax", "total"):  # v1: typed in
                fields[name].required = True
        return fields


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
    # Replaces every line; [] leaves the invoice without lines (its totals typed in again).
    lines = InvoiceLineIn(many=True, required=False)

    def validate(self, attrs):
        if "status" in self.initial_data:
            raise serializers.ValidationError(
                {"status": "The status changes only through the send and void actions"}
            )
        return attrs


class InvoiceVoidIn(serializers.Serializer):
    reason = StrictCharField(max_length=255)


class InvoiceLineOut(Output):
    line_id = serializers.IntegerField(source="id")
    kind = serializers.ChoiceField(choices=LineKind.choices)
    description = serializers.CharField()
    item_id = serializers.IntegerField(allow_null=True)
    visit_id = serializers.IntegerField(allow_null=True)
    plan_id = serializers.IntegerField(allow_null=True)
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3)
    unit_price = MoneyField(min_value=None)
    tax_rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    amount = MoneyField(min_value=None)
    tax = MoneyField(min_value=None)


class InvoiceReminderOut(Output):
    days = serializers.IntegerField()
    sent_at = serializers.DateTimeField()


class InvoiceOut(Output):
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
    amount_credited = MoneyField()
    balance_due = MoneyField()
    notes = serializers.CharField(allow_null=True)
    disputed = serializers.BooleanField()
    # Read through the invoice selectors (`line_list`: prefetched, or attached to a list page).
    lines = InvoiceLineOut(many=True, source="line_list")
    # The payment reminders sent (billing.reminders), by step; read like `lines`.
    reminders_sent = InvoiceReminderOut(many=True, source="reminder_list")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    class Meta:
        # From the row rather than in SQL, where a list would run the payments subquery twice.
        computed = {
            "balance_due": (balance_due, ("status", "total", "amount_paid", "amount_credited"))
        }


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
    overpayment = serializers.ChoiceField(
        choices=[OVERPAYMENT_CREDIT],
        required=False,
        help_text=(
            "credit: the part above the invoice's balance becomes the customer's credit (the "
            "payment records the part applied); absent: such a payment is a 409"
        ),
    )


class PaymentOut(Output):
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


class StatementQuery(serializers.Serializer):
    """`from` and `to` are Python keywords, hence the fields are declared in get_fields;
    `format` is `json` (the default) or `pdf` (the printable statement)."""

    def get_fields(self):
        return {
            "from": IsoDateField(),
            "to": IsoDateField(),
            "format": serializers.ChoiceField(choices=["json", "pdf"], default="json"),
        }


class StatementPath(serializers.Serializer):
    customer_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)


class StatementItemOut(Output):
    invoice_id = serializers.IntegerField(source="id")
    number = serializers.CharField(allow_null=True)
    issued_date = serializers.DateField()
    due_date = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(choices=InvoiceStatus.choices)
    total = MoneyField()
    amount_paid = MoneyField()
    amount_credited = MoneyField()
    balance_due = MoneyField()
    # The selector's `line_list`, read for all the items at once.
    lines = InvoiceLineOut(many=True, source="line_list")


class StatementPaymentOut(Output):
    payment_id = serializers.IntegerField(source="id")
    invoice_id = serializers.IntegerField()
    number = serializers.CharField(allow_null=True)
    paid_date = serializers.DateField()
    amount = MoneyField()
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    reference = serializers.CharField(allow_null=True)


class StatementCreditOut(Output):
    """A credit granted in the period; `invoice_id` and `number` name a credit note's invoice
    (or the invoice an overpayment was paid on)."""

    credit_id = serializers.IntegerField(source="id")
    credit_date = serializers.DateField()
    source = serializers.ChoiceField(choices=CreditSource.choices)
    reason = serializers.CharField()
    invoice_id = serializers.IntegerField(allow_null=True)
    number = serializers.CharField(allow_null=True)
    amount = MoneyField()


class StatementApplicationOut(Output):
    """A part of a credit applied to an invoice in the period."""

    application_id = serializers.IntegerField(source="id")
    credit_id = serializers.IntegerField()
    invoice_id = serializers.IntegerField()
    number = serializers.CharField(allow_null=True)
    applied_date = serializers.DateField()
    amount = MoneyField()


class StatementOut(Output):
    """`items` to `balance_due`: the invoices issued in the period (v1), each with its lines
    and what is credited on it. The account over the period: `opening_balance` (owed when it
    starts), `invoiced_total` (sent in it; drafts are not owed), the `payments` received and
    the `credits` granted in it, and `closing_balance` (owed when it ends) = opening_balance +
    invoiced_total - payments_total - credits_total. `credit_applications` move credit onto
    invoices (the account stays); `unapplied_credit` is what is left of the credits at the end."""

    customer_id = serializers.IntegerField(source="customer.id")
    customer_name = serializers.CharField()
    from_date = serializers.DateField()
    to_date = serializers.DateField()
    items = StatementItemOut(many=True)
    total = MoneyField()
    paid_total = MoneyField()
    credited_total = MoneyField()
    balance_due = MoneyField()
    opening_balance = MoneyField()
    invoiced_total = MoneyField()
    payments = StatementPaymentOut(many=True)
    payments_total = MoneyField()
    credits = StatementCreditOut(many=True)
    credits_total = MoneyField()
    credit_applications = StatementApplicationOut(many=True)
    applied_total = MoneyField()
    closing_balance = MoneyField()
    unapplied_credit = MoneyField()


class PeriodField(StrictCharField):
    """A calendar month, `YYYY-MM`, as its first day."""

    default_error_messages = {"period": "Period must be a month, YYYY-MM (for example 2026-11)"}

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        if len(text) != len("2026-11"):
            self.fail("period")
        try:
            return datetime.datetime.strptime(f"{text}-01", "%Y-%m-%d").date()
        except ValueError:
            self.fail("period")

    def to_representation(self, value):
        return month_text(value)


def month_text(value: datetime.date) -> str:
    return f"{value.year:04d}-{value.month:02d}"


class BillingRunIn(serializers.Serializer):
    period = PeriodField()
    dry_run = StrictBooleanField(default=False)
    send = StrictBooleanField(default=False, help_text="Send the invoices (they get numbers)")
    auto_apply_credits = StrictBooleanField(
        default=False,
        help_text="Apply each customer's open credits to the invoices sent (needs send)",
    )


class BillingSkipOut(serializers.Serializer):
    plan_id = serializers.IntegerField(required=False)
    visit_id = serializers.IntegerField(required=False)
    reason = serializers.CharField()


class BillingRunResultOut(Output):
    """What a run did (201) or, dry, would do (200)."""

    run_id = serializers.IntegerField(allow_null=True)
    period = PeriodField()
    dry_run = serializers.BooleanField()
    invoices_created = serializers.IntegerField()
    invoice_ids = serializers.ListField(child=serializers.IntegerField())
    lines_created = serializers.IntegerField()
    total = MoneyField()
    skipped = serializers.ListField(child=BillingSkipOut())

    class Meta:
        computed = {"period": (month_text, ("period",))}


class BillingRunOut(Output):
    run_id = serializers.IntegerField(source="id")
    period = PeriodField()
    status = serializers.ChoiceField(choices=RunStatus.choices)
    send = serializers.BooleanField()
    auto_apply_credits = serializers.BooleanField()
    issued_date = serializers.DateField()
    properties_total = serializers.IntegerField()
    properties_done = serializers.IntegerField()
    invoices_created = serializers.IntegerField()
    invoice_ids = serializers.ListField(child=serializers.IntegerField())
    lines_created = serializers.IntegerField()
    total = MoneyField()
    skipped = serializers.ListField(child=BillingSkipOut())
    error = serializers.CharField()
    actor = serializers.CharField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)

    class Meta:
        computed = {"period": (month_text, ("period",))}


class CreditIn(serializers.Serializer):
    """A manual credit, or with `invoice_id` a credit note against that invoice."""

    customer_id = StrictIntegerField(min_value=1)
    amount = MoneyField(min_value=Decimal("0.01"))
    reason = StrictCharField(max_length=REASON_MAX)
    invoice_id = StrictIntegerField(min_value=1, required=False, allow_null=True)


class CreditApplyIn(serializers.Serializer):
    invoice_id = StrictIntegerField(min_value=1)
    amount = MoneyField(min_value=Decimal("0.01"))


class CreditOut(Output):
    credit_id = serializers.IntegerField(source="id")
    customer_id = serializers.IntegerField()
    source = serializers.ChoiceField(choices=CreditSource.choices)
    amount = MoneyField()
    # What is not applied yet.
    remaining = MoneyField()
    reason = serializers.CharField()
    # A credit note's invoice, or the invoice an overpayment was paid on.
    invoice_id = serializers.IntegerField(allow_null=True)
    # The payment whose part above the balance it is (source overpayment).
    payment_id = serializers.IntegerField(allow_null=True)
    credit_date = serializers.DateField()
    # Set when it was taken back (its overpayment's payment reversed): nothing remains of it.
    voided_at = serializers.DateTimeField(allow_null=True)
    void_reason = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()


class CustomerBalanceOut(Output):
    customer_id = serializers.IntegerField()
    # Sent invoices not yet paid.
    open_invoices = serializers.IntegerField()
    balance_due = MoneyField()
    unapplied_credit = MoneyField()
    # balance_due - unapplied_credit: negative when the company owes the customer.
    net_balance = MoneyField(min_value=None)


class AgingQuery(serializers.Serializer):
    as_of = IsoDateField(required=False, help_text="The day (default: the company's today)")

    def validate(self, attrs):
        # DRF drops an empty optional query value; an empty as_of is a bad date, not today.
        if "as_of" in self.initial_data and "as_of" not in attrs:
            raise serializers.ValidationError({"as_of": [DATE_WRONG_FORMAT]})
        return attrs


def _aging_amounts(**extra: serializers.Field) -> dict[str, serializers.Field]:
    # The buckets' names ("1_30") are not identifiers, hence get_fields.
    return {**extra, **{bucket: MoneyField() for bucket in BUCKETS}}


class _Mappings:
    # An Output of mappings, whose keys ("1_30") are no attribute names: encoded as rows.

    @classmethod
    def encode_many(cls, objects) -> list[dict]:
        return cls.encode_rows(objects)  # type: ignore[attr-defined]


class AgingTotalsOut(_Mappings, Output):
    def get_fields(self):
        return _aging_amounts()


class AgingCustomerOut(_Mappings, Output):
    def get_fields(self):
        return _aging_amounts(
            customer_id=serializers.IntegerField(), name=serializers.CharField()
        ) | {"total": MoneyField()}


class AgingOut(Output):
    """What the company's customers owe on `as_of` (sent invoices with a balance on that day),
    by days past due then: `current` (not yet due, or no due date), `1_30`, `31_60`, `61_90`,
    `over_90`. Payments and credit applications after `as_of` do not count; reversed payments
    and void invoices count on no day. The buckets add up to `total`, and the customers' rows
    (by name) to `totals`."""

    as_of = serializers.DateField()
    buckets = serializers.ListField(child=serializers.CharField())
    totals = AgingTotalsOut()
    total = MoneyField()
    customers = AgingCustomerOut(many=True)
