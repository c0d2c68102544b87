import datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Expression, F, Func, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from audit.models import Audited
from catalog.models import Item
from core.money import CENT, ZERO
from customers.models import Customer, Property
from operations.models import ServicePlan, Visit, VisitLine
from tenancy.models import Company
from tenancy.numbering import Counter
from tenancy.scoping import TenantManager, UnscopedManager


def money_field(**kwargs) -> models.DecimalField:
    return models.DecimalField(max_digits=12, decimal_places=2, **kwargs)


def money_sum_field(**kwargs) -> models.DecimalField:
    """Sums of many amounts (each at most 9,999,999,999.99 in a money_field): the running
    figures and the dashboard's totals."""
    return models.DecimalField(max_digits=20, decimal_places=2, **kwargs)


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENT = "sent", "Sent"
    PAID = "paid", "Paid"
    VOID = "void", "Void"


class Invoice(Audited):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", editable=False)
    # Assigned when the invoice leaves draft: INV-<year>-<6 digits>, gap-free per company and
    # year (billing_invoice_number_unique).
    number = models.CharField(max_length=20, null=True, blank=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="invoices")
    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="invoices")
    period_start = models.DateField()
    period_end = models.DateField()
    status = models.CharField(
        max_length=10, choices=InvoiceStatus.choices, default=InvoiceStatus.SENT
    )
    issued_date = models.DateField()
    due_date = models.DateField(null=True, blank=True)
    subtotal = money_field()
    tax = money_field(default=ZERO)
    total = money_field()
    notes = models.TextField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=255, null=True, blank=True)
    # Under an open claim of the customer (support): the reminders leave it alone until the
    # claim is closed. Set and cleared only by invoice_dispute_set.
    disputed = models.BooleanField(default=False, db_default=False)
    # The customer's credits applied to it (CreditApplication): kept on the row, changed only by
    # billing.credits under the invoice's lock, so balance_due = total - amount_paid -
    # amount_credited needs no second subquery.
    amount_credited = money_field(default=ZERO, db_default=ZERO)
    # The day its balance reached 0.00: the latest of its issued date, its counted payments'
    # paid_date and its credit applications' applied_date (billing.settlement); NULL while
    # a balance remains. Balances only fall as days pass (payments and applications are > 0, and
    # a reversed payment counts on no day), so the invoice owes something on a day D exactly when
    # it is issued by D and settled_on is NULL or after D: aging as of D reads only those rows,
    # through billing_invoice_aging. Kept with the status by the services that settle or
    # reopen an invoice, through billing.settlement.mark_paid and reopen.
    settled_on = models.DateField(null=True, blank=True, editable=False)
    # The first day a counted payment or credit application counted on it (NULL while none):
    # before that day its balance is its total, so aging reads its payments and credits only
    # from then on (most open invoices have none). Kept by billing.settlement too.
    first_received_on = models.DateField(null=True, blank=True, editable=False)
    # The last day a counted payment or credit application counted on it (NULL while none), and
    # what its counted payments add up to (amount_paid, kept on the row as amount_credited is):
    # from that day on its balance is total - payments_total - amount_credited, so aging reads
    # an invoice's payments only for a day between its first and last receipts (as of today,
    # never). Kept by billing.settlement too.
    last_received_on = models.DateField(null=True, blank=True, editable=False)
    payments_total = money_field(default=ZERO, db_default=ZERO, editable=False)
    # Follow the status, the payments and the applications; the events of those say it already.
    audit_exclude = ("settled_on", "first_received_on", "last_received_on", "payments_total")
    # The billing run that created it (null: made by hand). A later run of the same period adds
    # to it while it is a draft (billing.runs).
    billing_run = models.ForeignKey(
        "BillingRun", on_delete=models.PROTECT, null=True, blank=True, related_name="invoices"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantManager()
    unscoped = UnscopedManager()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "number"], name="billing_invoice_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(total=F("subtotal") + F("tax")), name="billing_invoice_total_sum"
            ),
            models.CheckConstraint(
                condition=Q(subtotal__gte=0) & Q(tax__gte=0) & Q(total__gte=0),
                name="billing_invoice_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(period_start__lte=F("period_end")),
                name="billing_invoice_period_order",
            ),
            models.CheckConstraint(
                condition=Q(due_date__isnull=True) | Q(issued_date__lte=F("due_date")),
                name="billing_invoice_issued_before_due",
            ),
            models.CheckConstraint(
                condition=Q(status__in=InvoiceStatus.values), name="billing_invoice_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=InvoiceStatus.DRAFT) | Q(number__isnull=False),
                name="billing_invoice_number_once_sent",
            ),
            models.CheckConstraint(
                condition=Q(amount_credited__gte=0) & Q(amount_credited__lte=F("total")),
                name="billing_invoice_credited_within_total",
            ),
        ]
        indexes = [
            # The company's newest first (the API's list): its unique (company, number) index
            # took the foreign key's place and is in number order, so without this index each
            # page sorted all of the company's invoices.
            models.Index(fields=["company", "-id"], name="billing_invoice_newest"),
            models.Index(fields=["status", "due_date"], name="billing_invoice_status_due"),
            models.Index(fields=["customer", "issued_date"], name="billing_invoice_cust_issued"),
            # The dashboard's months billed (a company's sent and paid invoices by issued month),
            # read from the index alone; and any list of the company's by issued date.
            models.Index(
                fields=["company", "issued_date", "status", "total"],
                name="billing_invoice_co_issued",
            ),
            # Aging as of a day: the company's invoices not settled by then (NULL or a later
            # settled_on), the issued date checked in the index, and every column the report
            # reads from an open invoice in it too, so no row is read (1,000,000 invoices:
            # 68,000 open rows read in 20 ms from the index against 100 ms by row).
            models.Index(
                fields=[
                    "company",
                    "settled_on",
                    "issued_date",
                    "status",
                    "customer",
                    "due_date",
                    "total",
                    "first_received_on",
                    "last_received_on",
                    "payments_total",
                    "amount_credited",
                ],
                name="billing_invoice_aging",
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"Draft invoice #{self.pk}"


class LineKind(models.TextChoices):
    PLAN = "plan", "Plan fee"
    SERVICE = "service", "Service"
    CHEMICAL = "chemical", "Chemical"
    PART = "part", "Part"
    PRODUCT = "product", "Product"
    LABOR = "labor", "Labor"
    ADJUSTMENT = "adjustment", "Adjustment"


# A percentage such as the company's tax rate ("11.50").
RATE_DIGITS = {"max_digits": 5, "decimal_places": 2}
QUANTITY_DIGITS = {"max_digits": 12, "decimal_places": 3}


class InvoiceLine(models.Model):
    """One billed thing on an invoice. amount = quantity x unit_price and tax = amount x tax_rate
    / 100, each rounded half-up to the cent on its own line (billing.lines); an invoice with lines
    has their sums as its subtotal and tax. Lines are part of the invoice: its events carry them.

    Exactly once: `plan_period`, `fee_visit` and `visit_line` name what a billing run billed, and
    each is unique (NULL on hand-made lines, which never collide), so no plan's month, per-visit
    fee or visit line is ever on two invoice lines, whatever runs at once."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", editable=False)
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(max_length=12, choices=LineKind.choices)
    description = models.CharField(max_length=255)
    item = models.ForeignKey(
        Item, on_delete=models.PROTECT, null=True, blank=True, related_name="invoice_lines"
    )
    visit = models.ForeignKey(
        Visit, on_delete=models.PROTECT, null=True, blank=True, related_name="invoice_lines"
    )
    plan = models.ForeignKey(
        ServicePlan, on_delete=models.PROTECT, null=True, blank=True, related_name="invoice_lines"
    )
    quantity = models.DecimalField(**QUANTITY_DIGITS)
    unit_price = money_field()
    tax_rate = models.DecimalField(**RATE_DIGITS, default=ZERO)
    amount = money_field()
    tax = money_field(default=ZERO)
    # The first day of the month a per-month plan fee bills.
    plan_period = models.DateField(null=True, blank=True, editable=False)
    # The visit a per-visit plan fee bills.
    fee_visit = models.ForeignKey(
        Visit, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    # The visit's line (a chemical, a part, a work order's labor) this line bills.
    visit_line = models.ForeignKey(
        VisitLine, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager()
    unscoped = UnscopedManager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "plan_period"], name="billing_invoiceline_plan_period_once"
            ),
            models.UniqueConstraint(fields=["fee_visit"], name="billing_invoiceline_fee_once"),
            models.UniqueConstraint(
                fields=["visit_line"], name="billing_invoiceline_visit_line_once"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=LineKind.values), name="billing_invoiceline_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gt=0),
                name="billing_invoiceline_quantity_positive",
                violation_error_message="Quantity must be above 0",
            ),
            # Only an adjustment takes something off (a discount, a goodwill credit).
            models.CheckConstraint(
                condition=Q(unit_price__gte=0) | Q(kind=LineKind.ADJUSTMENT),
                name="billing_invoiceline_price_not_negative",
                violation_error_message="Only an adjustment line may take money off",
            ),
            models.CheckConstraint(
                condition=Q(tax_rate__gte=0) & Q(tax_rate__lte=100),
                name="billing_invoiceline_tax_rate_percent",
                violation_error_message="tax_rate is a percent from 0 to 100",
            ),
            models.CheckConstraint(
                condition=Q(plan_period__isnull=True) | Q(plan__isnull=False),
                name="billing_invoiceline_period_of_a_plan",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.description}"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class BillingRun(models.Model):
    """One billing of a month (billing.runs): what it created and what it skipped and why. A dry
    run writes no row. Started from the admin it is queued and run by the worker, which keeps
    `properties_done` of `properties_total` current as it goes."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", editable=False)
    # The first day of the month billed.
    period = models.DateField()
    send = models.BooleanField(default=False)
    # Apply each customer's open credits to the invoices the run sends (billing.credits).
    auto_apply_credits = models.BooleanField(default=False, db_default=False)
    issued_date = models.DateField()
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor = models.CharField(max_length=160, blank=True, default="")
    properties_total = models.PositiveIntegerField(default=0)
    properties_done = models.PositiveIntegerField(default=0)
    invoices_created = models.PositiveIntegerField(default=0)
    lines_created = models.PositiveIntegerField(default=0)
    total = money_sum_field(default=ZERO)
    # The invoices it created or added lines to.
    invoice_ids = models.JSONField(default=list, blank=True)
    # [{"plan_id": 7, "reason": "period_not_ended"}, {"visit_id": 9, "reason": ...}]
    skipped = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = TenantManager()
    unscoped = UnscopedManager()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RunStatus.values), name="billing_billingrun_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["company", "-id"], name="billing_billingrun_newest")]

    def __str__(self) -> str:
        return f"Billing of {self.period:%B %Y} #{self.pk}"


# The due date of the ReceivablesByDueDate row of sent invoices without a due date: never overdue.
NO_DUE_DATE = datetime.date.max


class ReceivablesByDueDate(models.Model):
    """Running figures of the sent invoices (not yet paid, not void), one row per due date: how
    many there are, their totals and what settles them: `paid` is their counted payments plus
    the credits applied to them (each invoice's amount_credited), so total - paid is what they
    still owe. Drafts are not counted here (they
    are few: the dashboard sums them from the invoices), nor are paid and void invoices; a sent
    invoice without a due date is in the row due NO_DUE_DATE. `status` is always "sent".

    billing.services changes these rows in the same transaction as the invoice or payment, so
    they are exact whenever every write goes through the services; a bulk insert adds its rows
    with services.receivables_add, and `manage.py receivables --fix` repairs them after
    writes that bypassed the services (it recounts credits too). The office dashboard sums these
    rows (one per due date) instead of every open invoice and its payments.

    Lock order. Each service locks its receivables row last, with one upsert that takes the row's
    exclusive lock at once: after the invoice's row, the property's row (invoice_create) and
    the year's invoice-number counter row (a sent invoice_create, invoice_send, a payment on a
    draft). A credit's application (billing.credits) locks the invoice, then the credit, then
    the receivables row; a payment's reversal locks the invoice, the payment and its overpayment
    credit; a billing run that applies credits locks them after its invoices and before its
    sends take the counter. A service on one invoice changes at most one row (a sent invoice's
    due date never changes); receivables_add (after invoice_numbers_reserve, in the demo's bulk
    load) and receivables_fix change several, in (status, due_by) order. Writes to drafts lock no
    receivables row: invoice_create of a draft, invoice_update, invoice_update_notes and the void of
    a draft (which takes the counter) never touch this table. So no service waits for the
    counter, an invoice or a property while holding a receivables row. The admin's change view runs
    a dry run of the new inline payments, then invoice_update and payment_record, in one
    transaction, and keeps this order with one exception: a draft whose issued date moves to
    another year in the same save as a new payment is sent in the dry run under the old
    year's counter (and its old due date's row), then for real under the new year's counter.
    """

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", editable=False)
    status = models.CharField(max_length=10, choices=InvoiceStatus.choices)
    due_by = models.DateField()
    invoice_count = models.IntegerField(default=0)
    total = money_sum_field(default=ZERO)
    paid = money_sum_field(default=ZERO)

    objects = TenantManager()
    unscoped = UnscopedManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["company", "status", "due_by"],
                name="billing_receivablesbyduedate_company_due_by_unique",
            ),
            models.CheckConstraint(
                condition=Q(status=InvoiceStatus.SENT),
                name="billing_receivablesbyduedate_sent_only",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.status} due {self.due_by}: {self.invoice_count} ({self.total} - {self.paid})"


class InvoiceCounter(Counter):
    """The last invoice number a company used in a year (tenancy.numbering)."""

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["company", "year"], name="billing_invoicecounter_company_year_unique"
            )
        ]


class PaymentMethod(models.TextChoices):
    CASH = "cash", "Cash"
    ATH_MOVIL = "ath_movil", "ATH Móvil"
    CARD = "card", "Card"
    BANK_TRANSFER = "bank_transfer", "Bank transfer"
    CHECK = "check", "Check"
    OTHER = "other", "Other"


# The payments that count: a reversed payment stays on record and counts as nothing.
COUNTED = Q(reversed_at__isnull=True)


class Payment(Audited):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", editable=False)
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    amount = money_field()
    paid_date = models.DateField()
    method = models.CharField(
        max_length=20, choices=PaymentMethod.choices, default=PaymentMethod.OTHER
    )
    # NULL when absent, so several payments without a reference never collide.
    reference = models.CharField(max_length=80, null=True, blank=True)
    notes = models.TextField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # A wrong payment is reversed, never deleted or edited: it stays on record, counts as
    # nothing (amount paid, statements, dashboard, reports) and says who reversed it, when, why.
    reversed_at = models.DateTimeField(null=True, blank=True)
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reversal_reason = models.CharField(max_length=255, null=True, blank=True)
    # True while the payment counts, NULL once it is reversed: only there for the unique
    # (invoice, reference, counted) constraint, so a reversed payment's reference may be used
    # again. MySQL/MariaDB have no partial unique index (UNIQUE ... WHERE reversed_at IS NULL),
    # but every database lets any number of rows share a NULL in a unique key: NULLing this
    # column on reversal takes the row out of the constraint everywhere. (A generated column
    # would do the same on MySQL, but with DDL that differs per database.) The database default
    # keeps rows inserted by SQL that does not name it (imports from the old system) counted.
    counted = models.BooleanField(null=True, default=True, db_default=True, editable=False)
    # Follows reversed_at; the event of a reversal says it already.
    audit_exclude = ("counted",)

    objects = TenantManager()
    unscoped = UnscopedManager()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(reversed_at__isnull=True, reversal_reason__isnull=True, counted=True)
                    | Q(reversed_at__isnull=False, reversal_reason__isnull=False, counted=None)
                ),
                name="billing_payment_reversal_complete",
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="billing_payment_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(method__in=PaymentMethod.values), name="billing_payment_method_valid"
            ),
            models.CheckConstraint(
                condition=~Q(reference=""), name="billing_payment_reference_null_not_empty"
            ),
            models.UniqueConstraint(
                fields=["invoice", "reference", "counted"],
                name="billing_payment_counted_reference_unique",
            ),
        ]
        indexes = [
            # Covers the dashboard's payments of the month and of the last twelve, reversed ones
            # left out, for the company (sums read from the index alone).
            models.Index(
                fields=["company", "paid_date", "reversed_at", "amount"],
                name="billing_payment_co_paid",
            ),
            # Covers an invoice's counted payments up to a day (aging reads them for each
            # invoice that had received something by then), read from the index alone.
            models.Index(
                fields=["company", "invoice", "reversed_at", "paid_date", "amount"],
                name="billing_payment_inv_counted",
            ),
        ]

    def __str__(self) -> str:
        reversed_ = " (reversed)" if self.reversed_at else ""
        return f"{self.amount} on {self.invoice}{reversed_}"


# --- query helpers: expressions the selectors, services and reports build on ------------------

MONEY = money_field()
# A sum of many amounts: the running figures and what is summed with them.
MONEY_SUM = money_sum_field()


def _to_cents(value, expression, connection):
    if value is None:
        return None
    # A float difference such as 1.50 - 1.4999999999 quantizes to -0.00; an amount is never -0.
    return Decimal(value).quantize(CENT) or ZERO


class Money(Func):
    """An amount read back exact to the cent: SQLite computes sums in floating point and
    Django quantizes only plain columns, so 0.01 added 329 times would read 3.28999999999997.
    Only for sums and differences of money columns (two places): MariaDB computes those
    exactly, to two places, and its values are read as they come."""

    template = "%(expressions)s"
    output_field = MONEY

    def get_db_converters(self, connection):
        if connection.vendor == "sqlite":
            return [*super().get_db_converters(connection), _to_cents]
        # MariaDB's driver reads the exact Decimal already: converting each value again cost a
        # long report (a hundred thousand of them) tens of milliseconds.
        return self.output_field.get_db_converters(connection)


def money_sum(field: str | Expression) -> Money:
    return Money(Coalesce(Sum(field), Value(ZERO), output_field=MONEY))


def overdue_q(today: datetime.date | None = None) -> Q:
    """Sent (not paid, not void) and past its due date."""
    return Q(status=InvoiceStatus.SENT, due_date__lt=today or timezone.localdate())


def balance_due(
    status: str, total: Decimal, amount_paid: Decimal, amount_credited: Decimal
) -> Decimal:
    """What the balance_due annotation computes, for rows read without it: what payments and
    applied credits leave owed (a void invoice owes nothing)."""
    return ZERO if status == InvoiceStatus.VOID else total - amount_paid - amount_credited


# --- credits (issue 19) ------------------------------------------------------------------------


class CreditSource(models.TextChoices):
    OVERPAYMENT = "overpayment", "Overpayment"
    CREDIT_NOTE = "credit_note", "Credit note"
    MANUAL = "manual", "Manual"


class Credit(Audited):
    """Money the company owes a customer, to be applied to their invoices: the part of a payment
    above the invoice's balance, a credit note against an invoice, or a manual credit.
    `remaining` is what is not applied yet; it changes only by billing.credits under the
    credit's row lock, and never leaves 0..amount (a constraint)."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="credits")
    source = models.CharField(max_length=12, choices=CreditSource.choices)
    amount = money_field()
    remaining = money_field()
    reason = models.CharField(max_length=255)
    # A credit note's invoice, or the invoice an overpayment was paid on.
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, null=True, blank=True, related_name="credits"
    )
    # The payment whose part above the balance this credit is (source overpayment).
    payment = models.OneToOneField(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="credit"
    )
    # The day it was granted, in the company's time zone.
    credit_date = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    # Taken back (an overpayment whose payment was reversed before any of it was applied): it
    # stays on record with its amount, nothing remains of it, and it says when and why.
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=255, null=True, blank=True)

    objects = TenantManager()
    unscoped = UnscopedManager()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="billing_credit_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(remaining__gte=0) & Q(remaining__lte=F("amount")),
                name="billing_credit_remaining_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(source__in=CreditSource.values), name="billing_credit_source_valid"
            ),
            models.CheckConstraint(
                condition=~Q(source=CreditSource.OVERPAYMENT) | Q(payment__isnull=False),
                name="billing_credit_overpayment_has_payment",
            ),
            models.CheckConstraint(
                condition=~Q(source=CreditSource.CREDIT_NOTE) | Q(invoice__isnull=False),
                name="billing_credit_note_has_invoice",
            ),
            models.CheckConstraint(
                condition=Q(voided_at__isnull=True, void_reason__isnull=True)
                | Q(voided_at__isnull=False, void_reason__isnull=False, remaining=0),
                name="billing_credit_void_complete",
            ),
        ]
        indexes = [
            models.Index(fields=["company", "-id"], name="billing_credit_newest"),
            models.Index(fields=["customer", "remaining"], name="billing_credit_cust_open"),
        ]

    def __str__(self) -> str:
        return f"Credit #{self.pk}: {self.remaining} of {self.amount}"


class CreditApplication(Audited):
    """A part of a credit applied to an invoice: it lowers the credit's `remaining` and raises
    the invoice's `amount_credited` by `amount`, both under their row locks (billing.credits),
    never beyond the credit's remainder nor the invoice's balance."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", editable=False)
    credit = models.ForeignKey(Credit, on_delete=models.PROTECT, related_name="applications")
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="credit_applications"
    )
    amount = money_field()
    # The day it was applied, in the company's time zone: aging as of an earlier day leaves it out.
    applied_date = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager()
    unscoped = UnscopedManager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="billing_creditapplication_amount_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["invoice", "applied_date"], name="billing_creditapp_inv_date"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} of credit #{self.credit_id} on {self.invoice}"


class InvoiceReminder(models.Model):
    """A payment reminder sent for an invoice at one of the company's reminder steps (days past
    due). Unique per (invoice, days): each step is sent once, whatever runs at once."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", editable=False)
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="reminders")
    days = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(default=timezone.now)
    recipient = models.EmailField(max_length=254)

    objects = TenantManager()
    unscoped = UnscopedManager()

    class Meta:
        ordering = ["invoice", "days"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "days"], name="billing_invoicereminder_once_per_step"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invoice}: {self.days} days reminder"
